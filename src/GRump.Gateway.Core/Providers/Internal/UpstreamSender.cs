using System.Net;
using System.Text.Json;
using GRump.Gateway.Errors;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// Sends one upstream request through the provider's resilient HttpClient (retry with jitter, circuit breaker per
/// destination, per-attempt timeout), moving on to the next destination of the cluster when one fails before
/// answering. Returns a successful response with its headers read and its body unread (streams stay streams); every
/// failure becomes a <see cref="GatewayException"/> that says which upstream failed and how.
/// </summary>
internal sealed partial class UpstreamSender(ProviderSettings provider, IHttpClientFactory clients, UpstreamClusters clusters, ILogger logger)
{
    private const int MaxErrorBodyBytes = 4096;

    public ProviderSettings Provider => provider;

    /// <summary>The named HttpClient (with its resilience pipeline) of a provider.</summary>
    public static string ClientName(string provider) => "upstream-" + provider;

    public async Task<HttpResponseMessage> SendAsync(Func<Uri, HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        var destinations = clusters.Order(provider.Name);
        if (destinations.Count == 0)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, $"Upstream '{provider.Name}' has no destinations.") { Reason = "NO_DESTINATION" };
        }

        var client = clients.CreateClient(ClientName(provider.Name));
        GatewayException? last = null;
        foreach (var destination in destinations)
        {
            var baseUri = new Uri(destination.Model.Config.Address);
            using var request = createRequest(baseUri);
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (BrokenCircuitException ex)
            {
                last = new GatewayException(GatewayErrorKind.Unavailable,
                    $"Upstream '{provider.Name}' ({baseUri.Authority}) is failing and its circuit is open; retry later.", null, ex)
                {
                    Reason = "CIRCUIT_OPEN",
                    RetryAfter = provider.Options.CircuitBreakDuration,
                };
                continue;
            }
            catch (TimeoutRejectedException ex)
            {
                last = new GatewayException(GatewayErrorKind.DeadlineExceeded,
                    $"Upstream '{provider.Name}' ({baseUri.Authority}) did not answer within {provider.Options.AttemptTimeout.TotalSeconds:0.###} s.", null, ex)
                { Reason = "UPSTREAM_TIMEOUT" };
                Failed(destination, last);
                continue;
            }
            catch (HttpRequestException ex)
            {
                last = new GatewayException(GatewayErrorKind.Unavailable,
                    $"Upstream '{provider.Name}' ({baseUri.Authority}) is unreachable: {ex.Message}", null, ex) { Reason = "UPSTREAM_UNREACHABLE" };
                Failed(destination, last);
                continue;
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                var error = await DescribeErrorAsync(baseUri, response, cancellationToken).ConfigureAwait(false);
                if (!IsTransient(response.StatusCode))
                {
                    throw error;
                }
                last = error;
                if ((int)response.StatusCode >= 500)
                {
                    Failed(destination, error);
                }
            }
        }
        throw last!;
    }

    private void Failed(Yarp.ReverseProxy.Model.DestinationState destination, GatewayException error)
    {
        Log.DestinationFailed(logger, provider.Name, destination.DestinationId, error.Message);
        clusters.ReportFailure(provider.Name, destination);
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private async Task<GatewayException> DescribeErrorAsync(Uri baseUri, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var detail = await ReadErrorMessageAsync(response, cancellationToken).ConfigureAwait(false);
        var what = $"Upstream '{provider.Name}' ({baseUri.Authority}) answered {status}{(detail.Length > 0 ? ": " + detail : ".")}";
        var retryAfter = response.Headers.RetryAfter?.Delta;
        return status switch
        {
            400 or 404 or 413 or 422 => new GatewayException(GatewayErrorKind.InvalidArgument, what + " (the request was rejected as invalid)")
            { Reason = "UPSTREAM_REJECTED" },
            401 or 403 => new GatewayException(GatewayErrorKind.Unavailable, what + $" — check the API key configured for '{provider.Name}'.")
            { Reason = "UPSTREAM_AUTH" },
            429 => new GatewayException(GatewayErrorKind.ResourceExhausted, what + " (rate limited upstream; retry later)")
            { Reason = "UPSTREAM_RATE_LIMITED", RetryAfter = retryAfter ?? TimeSpan.FromSeconds(1) },
            408 => new GatewayException(GatewayErrorKind.DeadlineExceeded, what) { Reason = "UPSTREAM_TIMEOUT" },
            _ => new GatewayException(GatewayErrorKind.Unavailable, what) { Reason = "UPSTREAM_ERROR", RetryAfter = retryAfter },
        };
    }

    /// <summary>The error message of an OpenAI (<c>{"error":{"message"}}</c>) or Anthropic error body, at most 4 KiB read.</summary>
    private static async Task<string> ReadErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[MaxErrorBodyBytes];
                var length = 0;
                int read;
                while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }
                using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
                if (document.RootElement.TryGetProperty("error", out var error))
                {
                    if (error.ValueKind == JsonValueKind.String)
                    {
                        return error.GetString() ?? string.Empty;
                    }
                    if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                    {
                        return message.GetString() ?? string.Empty;
                    }
                }
                return string.Empty;
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException or HttpRequestException)
        {
            return string.Empty;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Upstream {Provider} destination {Destination} failed: {Error}")]
        public static partial void DestinationFailed(ILogger logger, string provider, string destination, string error);
    }
}
