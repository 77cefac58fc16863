#!/usr/bin/env python3
"""A TLS terminator on 127.0.0.1 in front of a plain TCP server (llmio-mock),
so tests reach the mock over https without the mock linking OpenSSL.

Usage: tls-front.py CERT KEY UPSTREAM_PORT
Prints the chosen port alone on the first line of stdout, then relays each
accepted TLS connection byte for byte to 127.0.0.1:UPSTREAM_PORT (ALPN:
http/1.1 only). Runs until SIGTERM (the test stops it; a child of a test
also dies with it).
"""
import asyncio
import ssl
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        try:
            writer.close()
        except (ConnectionError, ssl.SSLError, OSError):
            pass


async def main():
    cert, key, upstream = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])

    async def handle(creader, cwriter):
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pipe(creader, uwriter), pipe(ureader, cwriter))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
