using System.Runtime.CompilerServices;
using Grpc.Core;

namespace GRump.Cli.Gateway;

/// <summary>
/// Retries a call that failed with UNAVAILABLE or an HTTP 5xx: three retries after the first try, waiting 1 s, 2 s and
/// 4 s (the seed's backoff). Never a client error (bad input, auth, budget): those fail at once. A stream is retried only
/// until its first message arrived — after that a retry would repeat output and cost, so its failure is final.
/// Waits run on the injected <see cref="TimeProvider"/>, so tests drive them without sleeping.
/// </summary>
internal sealed class RetryPolicy(TimeProvider time, TextWriter log)
{
    /// <summary>The wait before each retry; its length is the number of retries.</summary>
    public static IReadOnlyList<TimeSpan> Delays { get; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];

    public async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        for (var retry = 0; ; retry++)
        {
            var http = HttpStatusObserver.Begin();
            try
            {
                return await call(cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (retry < Delays.Count && IsRetryable(ex.StatusCode, http.Value))
            {
                await WaitAsync(what, ex, retry, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async IAsyncEnumerable<T> StreamAsync<T>(string what, Func<CancellationToken, AsyncServerStreamingCall<T>> start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        for (var retry = 0; ; retry++)
        {
            var http = HttpStatusObserver.Begin();
            using var call = start(cancellationToken);
            bool any;
            RpcException? failure = null;
            try
            {
                any = await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (retry < Delays.Count && IsRetryable(ex.StatusCode, http.Value))
            {
                failure = ex;
                any = false;
            }
            if (failure is not null)
            {
                await WaitAsync(what, failure, retry, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (!any)
            {
                yield break;
            }
            yield return call.ResponseStream.Current;
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                yield return call.ResponseStream.Current;
            }
            yield break;
        }
    }

    /// <summary>UNAVAILABLE (gateway down, upstream down, connection refused, HTTP 502/503/504) or any HTTP 5xx answer.</summary>
    public static bool IsRetryable(StatusCode code, int httpStatus) =>
        code == StatusCode.Unavailable || (httpStatus >= 500 && httpStatus <= 599 && code != StatusCode.Cancelled);

    private async Task WaitAsync(string what, RpcException failure, int retry, CancellationToken cancellationToken)
    {
        var delay = Delays[retry];
        // The timer exists before the line is written: whoever reads the line (a test advancing a fake clock) finds it.
        var wait = Task.Delay(delay, time, cancellationToken);
        await log.WriteLineAsync(
            $"grump: {what}: {StatusNames.Of(failure.StatusCode)} ({failure.Status.Detail}); retrying in {delay.TotalSeconds:0} s (retry {retry + 1} of {Delays.Count})")
            .ConfigureAwait(false);
        await wait.ConfigureAwait(false);
    }
}
