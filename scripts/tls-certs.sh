#!/bin/sh
# Makes a throwaway certificate authority and a server certificate it signs,
# for TLS on 127.0.0.1 in tests and benchmarks (never for anything else):
#   DIR/ca.pem            the CA certificate (what a client trusts)
#   DIR/cadir/HASH.0      the same, as an OpenSSL hashed directory (CA_PATH)
#   DIR/server.pem        leaf for localhost and 127.0.0.1, then the CA
#   DIR/server.key        its key
# Keys are P-256 and valid for two days. Usage: tls-certs.sh DIR
set -eu
dir=$1
mkdir -p "$dir/cadir"
cd "$dir"
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 2 -subj /CN=llmio-test-CA \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj /CN=localhost
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
ossl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 2 -extfile server.ext -out leaf.pem
cat leaf.pem ca.pem >server.pem
cp ca.pem "cadir/$(openssl x509 -hash -noout -in ca.pem).0"
rm -f server.csr server.ext leaf.pem ca.srl
