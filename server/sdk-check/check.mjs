// Official SDKs against llmio-mock: every check must pass or the script
// exits 1. Usage: node check.mjs http://127.0.0.1:PORT
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";

const base = process.argv[2];
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok     ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL   ${name}: ${e && e.stack ? e.stack : e}`);
  }
}

const openai = new OpenAI({ apiKey: "sk-test", baseURL: `${base}/v1`, maxRetries: 0 });
const scn = (s) => ({ headers: { "X-Mock-Scenario": s } });

await check("openai chat non-stream", async () => {
  const r = await openai.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Hello SDK world" }],
  });
  assert.equal(r.choices[0].message.content, "Hello SDK world");
  assert.equal(r.choices[0].finish_reason, "stop");
  assert.equal(r.usage.completion_tokens, 3);
  assert.match(r._request_id ?? "", /^req_mock/);
});

await check("openai chat stream + usage", async () => {
  const s = await openai.chat.completions.create({
    model: "gpt-4o-mini",
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: "stream me café €" }],
  });
  let text = "", finish = null, usage = null;
  for await (const c of s) {
    if (c.choices.length) {
      text += c.choices[0].delta.content ?? "";
      finish = c.choices[0].finish_reason ?? finish;
    }
    if (c.usage) usage = c.usage;
  }
  assert.equal(text, "stream me café €");
  assert.equal(finish, "stop");
  assert.equal(usage.total_tokens, 8);
});

await check("openai stream helper with parallel tool calls", async () => {
  const runner = openai.chat.completions.stream(
    {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "weather?" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
    },
    scn('tool=get_weather:{"city":"Lisbon"};tool=get_weather:{"city":"Porto"}'),
  );
  const final = await runner.finalChatCompletion();
  const calls = final.choices[0].message.tool_calls;
  assert.equal(calls.length, 2);
  assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: "Lisbon" });
  assert.deepEqual(JSON.parse(calls[1].function.arguments), { city: "Porto" });
  assert.equal(final.choices[0].finish_reason, "tool_calls");
});

await check("openai tool round trip", async () => {
  const r = await openai.chat.completions.create(
    {
      model: "gpt-4o-mini",
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "call_1", content: "21C sunny" },
      ],
    },
    scn("tool=get_weather"),
  );
  assert.equal(r.choices[0].message.content, "21C sunny");
});

await check("openai errors map to SDK classes", async () => {
  await assert.rejects(
    openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }, scn("status=429;retry-after-ms=10")),
    (e) => e instanceof OpenAI.RateLimitError && e.status === 429 && e.code === "rate_limit_exceeded",
  );
  await assert.rejects(
    openai.chat.completions.create({ model: "m", messages: [{ role: "bot", content: "x" }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === "messages[0].role",
  );
  const bad = new OpenAI({ apiKey: "bad-key", baseURL: `${base}/v1`, maxRetries: 0 });
  await assert.rejects(bad.models.list(), (e) => e instanceof OpenAI.AuthenticationError);
});

await check("openai retries fail-first then succeeds", async () => {
  const c = new OpenAI({ apiKey: "sk-test", baseURL: `${base}/v1`, maxRetries: 2 });
  const r = await c.chat.completions.create(
    { model: "m", messages: [{ role: "user", content: "retry ok" }] },
    { headers: { "X-Mock-Scenario": "fail-first=2;status=503;retry-after-ms=10", "X-Mock-Key": "sdk-retry-" + Date.now() } },
  );
  assert.equal(r.choices[0].message.content, "retry ok");
});

await check("openai in-band stream error raises", async () => {
  const s = await openai.chat.completions.create(
    { model: "m", stream: true, messages: [{ role: "user", content: "a b c" }] },
    scn("error-after-events=1"),
  );
  await assert.rejects(async () => {
    for await (const _ of s) { /* drain */ }
  }, (e) => e instanceof OpenAI.APIError);
});

await check("openai embeddings float and base64", async () => {
  const f = await openai.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"], dimensions: 8, encoding_format: "float" });
  assert.equal(f.data.length, 2);
  assert.equal(f.data[0].embedding.length, 8);
  // SDK default: requests base64 and decodes it to floats.
  const b = await openai.embeddings.create({ model: "text-embedding-3-small", input: "a", dimensions: 8 });
  assert.equal(b.data[0].embedding.length, 8);
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(b.data[0].embedding[i] - f.data[0].embedding[i]) < 1e-6);
});

await check("openai models list", async () => {
  const ids = [];
  for await (const m of openai.models.list()) ids.push(m.id);
  assert.ok(ids.includes("gpt-4o-mini"));
});

const anthropic = new Anthropic({ apiKey: "sk-ant-test", baseURL: base, maxRetries: 0 });

await check("anthropic messages non-stream", async () => {
  const r = await anthropic.messages.create({
    model: "claude-mock",
    max_tokens: 100,
    system: "Be brief.",
    messages: [{ role: "user", content: "Hello Claude" }],
  });
  assert.equal(r.content[0].type, "text");
  assert.equal(r.content[0].text, "Hello Claude");
  assert.equal(r.stop_reason, "end_turn");
  assert.equal(r.usage.input_tokens, 4);
});

await check("anthropic messages stream helper", async () => {
  const s = anthropic.messages.stream({
    model: "claude-mock",
    max_tokens: 100,
    messages: [{ role: "user", content: "stream naïve text" }],
  });
  let text = "";
  s.on("text", (t) => (text += t));
  const m = await s.finalMessage();
  assert.equal(text, "stream naïve text");
  assert.equal(m.content[0].text, "stream naïve text");
  assert.equal(m.usage.output_tokens, 3);
});

await check("anthropic stream with tools (raw events + helper)", async () => {
  const s = anthropic.messages.stream(
    {
      model: "claude-mock",
      max_tokens: 100,
      tools: [{ name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }],
      messages: [{ role: "user", content: "weather?" }],
    },
    scn('text=Checking.;tool=get_weather:{"city":"Lisbon"};tool=get_weather:{"city":"Porto"}'),
  );
  const m = await s.finalMessage();
  assert.equal(m.stop_reason, "tool_use");
  const uses = m.content.filter((b) => b.type === "tool_use");
  assert.equal(uses.length, 2);
  assert.deepEqual(uses[0].input, { city: "Lisbon" });
  assert.deepEqual(uses[1].input, { city: "Porto" });
  assert.equal(m.content[0].text, "Checking.");
});

await check("anthropic tool round trip non-stream", async () => {
  const r = await anthropic.messages.create(
    {
      model: "claude-mock",
      max_tokens: 100,
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "get_weather", input: { city: "Lisbon" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "21C clear" }] },
      ],
    },
    scn("tool=get_weather"),
  );
  assert.equal(r.content[0].text, "21C clear");
  const t = await anthropic.messages.create(
    { model: "c", max_tokens: 100, messages: [{ role: "user", content: "w?" }] },
    scn('tool=get_weather:{"city":"Porto"}'),
  );
  assert.equal(t.content[0].type, "tool_use");
  assert.deepEqual(t.content[0].input, { city: "Porto" });
});

await check("anthropic errors", async () => {
  await assert.rejects(
    anthropic.messages.create({ model: "c", max_tokens: 5, messages: [{ role: "user", content: "x" }] }, scn("status=529")),
    (e) => e.status === 529 && e.error?.error?.type === "overloaded_error",
  );
  await assert.rejects(
    anthropic.messages.create({ model: "c", max_tokens: 5, messages: [{ role: "system", content: "x" }] }),
    (e) => e instanceof Anthropic.BadRequestError && /messages\.0\.role/.test(e.message),
  );
  const s = anthropic.messages.stream({ model: "c", max_tokens: 5, messages: [{ role: "user", content: "a b c" }] }, scn("error-after-events=1"));
  await assert.rejects(s.finalMessage(), (e) => /overloaded/i.test(String(e.message ?? e)));
});

if (failed) {
  console.log(`${failed} SDK check(s) failed`);
  process.exit(1);
}
console.log("all SDK checks passed");
