using System.Collections.Concurrent;
using System.Net;
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
    private readonly string _clientName = ClientName(provider.Name);

    // (destination address, path) → endpoint. Both come from configuration and code, so the table is as small as the
    // cluster; parsing them per request cost two Uri parses (and their strings) on every upstream call.
    private readonly ConcurrentDictionary<(string Address, string Path), Uri> _endpoints = new();

    public ProviderSettings Provider => provider;

    /// <summary>The named HttpClient (with its resilience pipeline) of a provider.</summary>
    public static string ClientName(string provider) => "upstream-" + provider;

    /// <param name="path">Relative to the destination's address (e.g. <c>chat/completions</c>).</param>
    /// <param name="createRequest">Builds the request for a destination's endpoint (the address with the path resolved).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<HttpResponseMessage> SendAsync(string path, Func<Uri, HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        var destinations = clusters.Order(provider.Name);
        if (destinations.Count == 0)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, $"Upstream '{provider.Name}' has no destinations.") { Reason = "NO_DESTINATION" };
        }

        var client = clients.CreateClient(_clientName);
        GatewayException? last = null;
        foreach (var destination in destinations)
        {
            var endpoint = _endpoints.GetOrAdd((destination.Model.Config.Address, path), static key => new Uri(new Uri(key.Address), key.Path));
            using var request = createRequest(endpoint);
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
                    $"Upstream '{provider.Name}' is failing and its circuit is open; retry later.", null, ex)
                {
                    Reason = "CIRCUIT_OPEN",
                    RetryAfter = provider.Options.CircuitBreakDuration,
                };
                continue;
            }
            catch (TimeoutRejectedException ex)
            {
                last = new GatewayException(GatewayErrorKind.DeadlineExceeded,
                    $"Upstream '{provider.Name}' did not answer within {provider.Options.AttemptTimeout.TotalSeconds:0.###} s.", null, ex)
                { Reason = "UPSTREAM_TIMEOUT" };
                Failed(destination, endpoint, last);
                continue;
            }
            catch (HttpRequestException ex)
            {
                // The socket error names the upstream's address: it goes to the log, not to the caller.
                last = new GatewayException(GatewayErrorKind.Unavailable,
                    $"Upstream '{provider.Name}' is unreachable; retry later.", null, ex) { Reason = "UPSTREAM_UNREACHABLE" };
                Failed(destination, endpoint, last);
                continue;
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                var (error, detail) = await UpstreamErrors.DescribeAsync(provider.Name, response, [provider.ApiKey], cancellationToken).ConfigureAwait(false);
                if (UpstreamErrors.IsAuthFailure(response.StatusCode))
                {
                    // The caller is told only that the gateway's key was refused; the operator gets the (redacted) reason.
                    Log.CredentialsRefused(logger, provider.Name, (int)response.StatusCode, endpoint.Authority, detail);
                }
                if (!IsTransient(response.StatusCode) && !IsRedirect(response.StatusCode))
                {
                    throw error;
                }
                last = error;
                // A redirect is not followed (it would carry the prompt and the key elsewhere): the destination is
                // misconfigured or moved, as broken as one that fails; the next one is tried and this one reported.
                if ((int)response.StatusCode >= 500 || IsRedirect(response.StatusCode))
                {
                    Failed(destination, endpoint, error);
                }
            }
        }
        throw last!;
    }

    private void Failed(Yarp.ReverseProxy.Model.DestinationState destination, Uri endpoint, GatewayException error)
    {
        Log.DestinationFailed(logger, provider.Name, destination.DestinationId, endpoint.Authority, error.InnerException?.Message ?? error.Message);
        clusters.ReportFailure(provider.Name, destination);
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is >= 300 and < 400;

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Upstream {Provider} destination {Destination} ({Address}) failed: {Error}")]
        public static partial void DestinationFailed(ILogger logger, string provider, string destination, string address, string error);

        [LoggerMessage(2, LogLevel.Warning, "Upstream {Provider} ({Address}) refused the gateway's credentials with {Status}: {Detail}")]
        public static partial void CredentialsRefused(ILogger logger, string provider, int status, string address, string detail);
    }
}
