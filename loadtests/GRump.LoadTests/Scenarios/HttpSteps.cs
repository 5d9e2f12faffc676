using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using GRump.LoadTests.Load;

namespace GRump.LoadTests.Scenarios;

/// <summary>
/// POST of a fixed JSON body; success = 2xx and, for SSE, a body that ends with <c>data: [DONE]</c>. The body is read
/// to the end through a pooled buffer (counted, not kept).
/// </summary>
internal sealed class HttpPostStep(HttpClient client, Uri url, string json, bool sse) : SharedStep
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly byte[] Done = "[DONE]"u8.ToArray();
    private readonly byte[] _body = Encoding.UTF8.GetBytes(json);

    public override async ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(_body) };
        request.Content.Headers.ContentType = Json;
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                long bytes = _body.Length;
                int read;
                var sawDone = false;
                while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    bytes += read;
                    // "[DONE]" sits in the last, small event: it arrives in one read.
                    sawDone |= sse && buffer.AsSpan(0, read).IndexOf(Done) >= 0;
                }

                if (!response.IsSuccessStatusCode)
                {
                    return StepResult.Failed(string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}"), bytes);
                }

                return !sse || sawDone ? StepResult.Ok(bytes) : StepResult.Failed("no [DONE]", bytes);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}

/// <summary>POST /v1/embeddings with one distinct text per call.</summary>
internal sealed class HttpEmbedStep(HttpClient client, Uri url) : SharedStep
{
    private static long s_counter;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public override async ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken)
    {
        var text = ScenarioTexts.Embedding(Interlocked.Increment(ref s_counter));
        var body = Encoding.UTF8.GetBytes($$"""{"model":"nvidia/nv-embedqa-e5-v5","input":["{{text}}"]}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var answer = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode
            ? StepResult.Ok(body.Length + answer.Length)
            : StepResult.Failed(string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}"), body.Length + answer.Length);
    }
}
