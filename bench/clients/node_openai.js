#!/usr/bin/env node
// node_openai.js - the official openai-node SDK (npm "openai"), maxRetries 0,
// on the same command line and RESULT line as the Python clients
// (bench/clients/common.py documents the protocol). The package is found
// through NODE_PATH, which bench/run.sh points at bench/.peers/node.
'use strict';
const fs = require('fs');
const OpenAI = require('openai');

function parseArgs(argv) {
  const a = { concurrency: 1, duration: 3, requests: 0, warmup: 1, stream: false,
              expectLen: -1, expectChunks: -1, model: 'gpt-4o-mini', baseUrl: '' };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    switch (k) {
      case '--base-url': a.baseUrl = v; i++; break;
      case '--concurrency': a.concurrency = +v; i++; break;
      case '--duration': a.duration = +v; i++; break;
      case '--requests': a.requests = +v; i++; break;
      case '--warmup': a.warmup = +v; i++; break;
      case '--expect-len': a.expectLen = +v; i++; break;
      case '--expect-chunks': a.expectChunks = +v; i++; break;
      case '--model': a.model = v; i++; break;
      case '--stream': a.stream = true; break;
      default: throw new Error('unknown argument ' + k);
    }
  }
  return a;
}

function procKb(field) {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(new RegExp(field + ':\\s+(\\d+)'));
  return m ? +m[1] : 0;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;
const pct = (s, q) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0);

async function main() {
  const args = parseArgs(process.argv);
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: args.baseUrl, maxRetries: 0, timeout: 120000 });
  const messages = [{ role: 'user', content: 'Say hello.' }];

  async function call() {
    if (!args.stream) {
      const r = await client.chat.completions.create({ model: args.model, messages });
      return [r.choices[0].message.content.length, 0, null];
    }
    let n = 0, len = 0, first = null;
    const stream = await client.chat.completions.create({ model: args.model, messages, stream: true });
    for await (const ch of stream) {
      const c = ch.choices.length ? ch.choices[0].delta.content : null;
      if (c) { if (first === null) first = now(); n++; len += c.length; }
    }
    return [len, n, first];
  }

  // Keep CONCURRENCY requests in flight until the deadline or COUNT requests.
  async function phase(stats, deadline, count) {
    let started = 0;
    const worker = async () => {
      for (;;) {
        if (count > 0 ? started >= count : now() >= deadline) return;
        started++;
        const t0 = now();
        try {
          const [len, n, first] = await call();
          const good = (args.expectLen < 0 || len === args.expectLen) &&
                       (args.expectChunks < 0 || n === args.expectChunks);
          if (!stats) continue;
          if (good) {
            stats.ok++; stats.chunks += n; stats.lat.push(now() - t0);
            if (first !== null) stats.ttft.push(first - t0);
          } else {
            stats.failed++;
            if (!stats.err) stats.err = `content_len=${len}_chunks=${n}`;
          }
        } catch (e) {
          if (stats) { stats.failed++; if (!stats.err) stats.err = String(e).slice(0, 120).replace(/\s/g, '_'); }
        }
      }
    };
    const ws = [];
    for (let i = 0; i < args.concurrency; i++) ws.push(worker());
    await Promise.all(ws);
  }

  if (args.warmup > 0) await phase(null, now() + args.warmup, 0);
  const rss0 = procKb('VmRSS');
  const stats = { ok: 0, failed: 0, chunks: 0, lat: [], ttft: [], err: '' };
  const c0 = process.cpuUsage(), t0 = now();
  await phase(stats, now() + args.duration, args.requests);
  const wall = now() - t0, c = process.cpuUsage(c0);
  const peak = procKb('VmHWM');
  stats.lat.sort((x, y) => x - y); stats.ttft.sort((x, y) => x - y);
  console.log(`RESULT ok=${stats.ok} failed=${stats.failed} wall_s=${wall.toFixed(6)} ` +
    `cpu_s=${((c.user + c.system) / 1e6).toFixed(6)} p50_ms=${(pct(stats.lat, 0.5) * 1e3).toFixed(3)} ` +
    `p99_ms=${(pct(stats.lat, 0.99) * 1e3).toFixed(3)} ttft_p50_ms=${(pct(stats.ttft, 0.5) * 1e3).toFixed(3)} ` +
    `chunks=${stats.chunks} rss0_kb=${rss0} rss_peak_kb=${peak} first_error=${stats.err || '-'}`);
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
