// The official OpenAI and Anthropic SDKs as real clients of the gateway. Usage:
//   node agent_sdks.mjs <openai|anthropic> <gateway http url> <api key> <model>
// The xunit driver queues the upstream's answers in the order the calls below are made, and prints nothing else:
// this script prints one JSON object with what each call returned, or exits 1 with the error.
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const [mode, url, key, model] = process.argv.slice(2);
const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const image = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

async function openai() {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
  const out = {};
  const ask = [{ role: 'user', content: 'Weather in Paris?' }];

  // Tool call → tool result → answer, whole.
  const call = await client.chat.completions.create({ model, messages: ask, tools: [weather], max_tokens: 2048 });
  const toolCall = call.choices[0].message.tool_calls[0];
  out.toolCall = { name: toolCall.function.name, arguments: JSON.parse(toolCall.function.arguments), finish: call.choices[0].finish_reason };
  const answer = await client.chat.completions.create({
    model, tools: [weather], max_tokens: 2048,
    messages: [...ask, call.choices[0].message, { role: 'tool', tool_call_id: toolCall.id, content: '18C sunny' }],
  });
  out.toolAnswer = answer.choices[0].message.content;

  // The same call streamed: arguments assembled from the deltas.
  const stream = await client.chat.completions.create({ model, messages: ask, tools: [weather], stream: true, stream_options: { include_usage: true }, max_tokens: 2048 });
  let args = '';
  let streamedName = '';
  let usage = null;
  for await (const chunk of stream) {
    for (const c of chunk.choices[0]?.delta?.tool_calls ?? []) {
      streamedName ||= c.function?.name ?? '';
      args += c.function?.arguments ?? '';
    }
    usage ??= chunk.usage;
  }
  out.streamedToolCall = { name: streamedName, arguments: JSON.parse(args), promptTokens: usage?.prompt_tokens };

  // Structured output.
  const json = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'Paris as JSON' }], max_tokens: 2048,
    response_format: { type: 'json_schema', json_schema: { name: 'city', schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true } },
  });
  out.json = JSON.parse(json.choices[0].message.content);

  // An image part.
  const seen = await client.chat.completions.create({
    model, max_tokens: 2048,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: image } }] }],
  });
  out.image = seen.choices[0].message.content;

  // Responses, whole and streamed.
  const response = await client.responses.create({ model, input: 'Say hello', max_output_tokens: 2048 });
  out.response = { text: response.output_text, status: response.status, inputTokens: response.usage.input_tokens };
  const events = await client.responses.create({ model, input: 'Say hello again', stream: true, max_output_tokens: 2048 });
  let text = '';
  let completed = null;
  for await (const event of events) {
    if (event.type === 'response.output_text.delta') text += event.delta;
    if (event.type === 'response.completed') completed = event.response;
  }
  out.streamedResponse = { text, status: completed?.status, outputText: completed?.output?.[0]?.content?.[0]?.text };
  return out;
}

async function anthropic() {
  const client = new Anthropic({ baseURL: url, apiKey: key, maxRetries: 0 });
  const out = {};
  const tools = [{ name: 'get_weather', description: 'Weather for a city', input_schema: weather.function.parameters }];
  const ask = [{ role: 'user', content: 'Weather in Paris?' }];

  const message = await client.messages.create({ model, max_tokens: 2048, tools, messages: ask });
  const toolUse = message.content.find((b) => b.type === 'tool_use');
  out.toolUse = { name: toolUse.name, input: toolUse.input, stop: message.stop_reason };

  // Streamed with thinking, then the tool result goes back (thinking block and all), streamed again.
  const stream = client.messages.stream({ model, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 1024 }, tools, messages: ask });
  const streamed = await stream.finalMessage();
  const thinking = streamed.content.find((b) => b.type === 'thinking');
  const streamedTool = streamed.content.find((b) => b.type === 'tool_use');
  out.streamedToolUse = { name: streamedTool.name, input: streamedTool.input, thinking: thinking?.thinking, signature: thinking?.signature };
  const followUp = client.messages.stream({
    model, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 1024 }, tools,
    messages: [...ask, { role: 'assistant', content: streamed.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: streamedTool.id, content: '18C sunny' }] }],
  });
  const final = await followUp.finalMessage();
  out.answer = { text: final.content.find((b) => b.type === 'text')?.text, stop: final.stop_reason, outputTokens: final.usage.output_tokens };

  const count = await client.messages.countTokens({ model, messages: ask, tools });
  out.countTokens = count.input_tokens;
  return out;
}

try {
  const result = mode === 'openai' ? await openai() : await anthropic();
  console.log(JSON.stringify(result));
} catch (error) {
  console.error(error?.stack ?? String(error));
  process.exit(1);
}
