using System.CommandLine;
using Grpc.Core;
using GRump.Cli.Gateway;

namespace GRump.Cli;

/// <summary>
/// What every command's action shares: the invocation (its options, the gateway connection, the output) and one place
/// that turns failures into a message and an exit code.
/// </summary>
internal sealed class CommandRunner(GlobalOptions globals, CliContext context)
{
    public CliContext Context => context;

    /// <summary>An action for <paramref name="command"/> that runs <paramref name="body"/> with error handling.</summary>
    public void SetAction(Command command, Func<Invocation, CancellationToken, Task<int>> body)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, body, cancellationToken));
    }

    private async Task<int> RunAsync(ParseResult parse, Func<Invocation, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var json = parse.GetValue(globals.Json);
        using var invocation = new Invocation(parse, context, json, () => Connect(parse));
        try
        {
            return await body(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            return await invocation.FailAsync("INVALID_ARGUMENT", ex.Message, ExitCodes.Usage).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            return await invocation.FailAsync("CANCELLED", "cancelled", ExitCodes.Cancelled).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await invocation.FailAsync("CANCELLED", "cancelled", ExitCodes.Cancelled).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            return await invocation.FailAsync(StatusNames.Of(ex.StatusCode), Describe(ex, invocation.GatewayUrl), ExitCodes.For(ex.StatusCode)).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            return await invocation.FailAsync("IO_ERROR", ex.Message, ExitCodes.Failure).ConfigureAwait(false);
        }
    }

    private GatewayConnection Connect(ParseResult parse)
    {
        var text = parse.GetValue(globals.Url) is { Length: > 0 } given ? given
            : context.Environment(CliContext.UrlVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : CliContext.DefaultUrl;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--url: '{text}' is not an http:// or https:// address of the gateway's gRPC port (e.g. {CliContext.DefaultUrl}).");
        }
        var key = context.Environment(CliContext.ApiKeyVariable);
        return new GatewayConnection(url, string.IsNullOrWhiteSpace(key) ? null : key.Trim(), context);
    }

    private static string Describe(RpcException ex, Uri? url)
    {
        var detail = string.IsNullOrEmpty(ex.Status.Detail) ? "(no message)" : ex.Status.Detail;
        // grpc-dotnet reports a refused or failed connection as UNAVAILABLE with the socket error inside.
        var notConnected = ex.Status.DebugException is HttpRequestException or System.Net.Sockets.SocketException
            || detail.StartsWith("Error connecting", StringComparison.Ordinal) || detail.Contains("Error starting gRPC call", StringComparison.Ordinal);
        return ex.StatusCode switch
        {
            StatusCode.Unavailable when notConnected =>
                $"{detail} — no gateway answered at {url} (tried {RetryPolicy.Delays.Count + 1} times). Is it running, and is this its gRPC port (default 50051; port 3000 is REST)?",
            StatusCode.Internal when notConnected || detail.Contains("HTTP/2", StringComparison.OrdinalIgnoreCase) =>
                $"{detail} — {url} does not speak gRPC over HTTP/2: give --url the gateway's gRPC port (default 50051), not the REST port.",
            StatusCode.Unauthenticated => $"{detail} — set {CliContext.ApiKeyVariable} to an API key of this gateway.",
            _ => detail,
        };
    }
}

/// <summary>One run of one command: its parse result, output, and the gateway connection (opened on first use).</summary>
internal sealed class Invocation(ParseResult parse, CliContext context, bool json, Func<GatewayConnection> connect) : IDisposable
{
    private GatewayConnection? _gateway;

    public ParseResult Parse => parse;

    public CliContext Context => context;

    public TextWriter Out => context.Out;

    public TextWriter Error => context.Error;

    /// <summary>True with --json: print one JSON document on stdout, details stay on stderr.</summary>
    public bool Json => json;

    public GatewayConnection Gateway => _gateway ??= connect();

    /// <summary>The gateway's address once a call was attempted (for error messages).</summary>
    public Uri? GatewayUrl => _gateway?.Url;

    /// <summary>The error on stderr (and as JSON on stdout with --json), then its exit code.</summary>
    public async Task<int> FailAsync(string code, string message, int exitCode)
    {
        if (json)
        {
            await context.Out.WriteLineAsync(Output.Json.Document(w =>
            {
                w.WriteStartObject();
                w.WriteStartObject("error");
                w.WriteString("code", code);
                w.WriteString("message", message);
                w.WriteNumber("exitCode", exitCode);
                w.WriteEndObject();
                w.WriteEndObject();
            })).ConfigureAwait(false);
        }
        await context.Error.WriteLineAsync($"grump: {code}: {message}").ConfigureAwait(false);
        return exitCode;
    }

    public void Dispose() => _gateway?.Dispose();
}
