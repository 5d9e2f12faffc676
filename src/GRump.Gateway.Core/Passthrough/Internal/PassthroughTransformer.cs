using System.Net.Http.Headers;
using GRump.Gateway.Errors;
using GRump.Gateway.Providers.Internal;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace GRump.Gateway.Passthrough.Internal;

/// <summary>
/// One forwarded call's request and response rules. Request: the caller's headers minus every credential and
/// account header (the caller's key never leaves the gateway; the provider's key is set instead) and minus
/// Accept-Encoding (the answer must be readable for its usage). Response: a success is copied through a
/// <see cref="UsageObserver"/>; an error is not relayed as it came — it becomes the gateway's error (provider and
/// status named, body redacted, an authentication failure's body dropped).
/// </summary>
internal sealed class PassthroughTransformer(ProviderSettings provider, Uri target, int maxMeteredResponseBytes) : HttpTransformer
{
    private static readonly string[] StrippedHeaders =
    [
        "Authorization", "Proxy-Authorization", "x-api-key", "api-key", "Cookie", "Accept-Encoding", "OpenAI-Organization", "OpenAI-Project",
    ];

    /// <summary>The upstream's status, once it answered.</summary>
    public int? UpstreamStatus { get; private set; }

    /// <summary>The upstream's error as the gateway's, when it answered with one (nothing of it was written to the client).</summary>
    public GatewayException? UpstreamError { get; private set; }

    /// <summary>Set for a successful answer: reads its usage while it is copied.</summary>
    public UsageObserver? Observer { get; private set; }

    /// <summary>The client's response body, to put back after the copy.</summary>
    public Stream? OriginalBody { get; private set; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proxyRequest);
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        foreach (var header in StrippedHeaders)
        {
            proxyRequest.Headers.Remove(header);
        }

        if (provider.ApiKey.Length > 0)
        {
            proxyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", provider.ApiKey);
        }

        proxyRequest.RequestUri = target;
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (proxyResponse is null)
        {
            return false;
        }

        UpstreamStatus = (int)proxyResponse.StatusCode;
        if (!proxyResponse.IsSuccessStatusCode)
        {
            var (error, _) = await UpstreamErrors.DescribeAsync(provider.Name, proxyResponse, [provider.ApiKey], cancellationToken).ConfigureAwait(false);
            UpstreamError = error;
            return false;
        }

        await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        httpContext.Response.Headers["x-grump-provider"] = provider.Name;
        var mediaType = proxyResponse.Content?.Headers.ContentType?.MediaType;
        var eventStream = string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);
        if (eventStream || string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            OriginalBody = httpContext.Response.Body;
            Observer = new UsageObserver(OriginalBody, eventStream, maxMeteredResponseBytes);
            httpContext.Response.Body = Observer;
        }

        return true;
    }
}
