using System.CommandLine;
using GRump.Gateway.V1;

namespace GRump.Cli.Caching;

/// <summary>
/// <c>grump cache-clear</c>: empties the client cache of plans; with <c>--server</c> also the gateway's cache
/// (CacheService.ClearCache, which needs an admin key when the gateway has API keys).
/// </summary>
internal static class CacheClearCommand
{
    public static Command Create(CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var server = new Option<bool>("--server") { Description = "Also clear the gateway's cache (admin key when the gateway uses API keys)" };
        var ns = new Option<string?>("--namespace")
        {
            Description = "With --server: only this namespace of the gateway's cache (intents, chat, embeddings, plans) [default: all]",
            HelpName = "name",
        };
        var user = new Option<string?>("--user") { Description = "With --server: the tenant whose entries to clear (admin)", HelpName = "id" };
        var command = new Command("cache-clear", "Clear the client cache of plans (and with --server the gateway's cache)") { server, ns, user };
        runner.SetAction(command, async (run, ct) =>
        {
            var clearServer = run.Parse.GetValue(server);
            if (!clearServer && (run.Parse.GetValue(ns) is not null || run.Parse.GetValue(user) is not null))
            {
                throw new UsageException("--namespace and --user apply to the gateway's cache: add --server.");
            }
            var cache = new PlanCache(run.Context.CacheDirectory, run.Context.Time);
            long? serverRemoved = null;
            if (clearServer)
            {
                // The gateway first: if the key may not clear it, nothing is half done.
                var request = new ClearCacheRequest { Namespace = run.Parse.GetValue(ns) ?? "", UserId = run.Parse.GetValue(user) ?? "" };
                var response = await run.Gateway.Retry.RunAsync("cache-clear", c => run.Gateway.Cache.ClearCacheAsync(request, run.Gateway.Call(c)).ResponseAsync, ct).ConfigureAwait(false);
                serverRemoved = response.Removed;
            }
            var removed = cache.Clear();
            if (run.Json)
            {
                await run.Out.WriteLineAsync(Output.Json.Document(w =>
                {
                    w.WriteStartObject();
                    w.WriteStartObject("client");
                    w.WriteNumber("removed", removed);
                    w.WriteString("directory", cache.Directory);
                    w.WriteEndObject();
                    if (serverRemoved is { } count)
                    {
                        w.WriteStartObject("server");
                        w.WriteNumber("removed", count);
                        w.WriteEndObject();
                    }
                    else
                    {
                        w.WriteNull("server");
                    }
                    w.WriteEndObject();
                })).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            await run.Out.WriteLineAsync($"Removed {removed} cached plan{(removed == 1 ? "" : "s")} from {cache.Directory}").ConfigureAwait(false);
            if (serverRemoved is { } removedOnServer)
            {
                await run.Out.WriteLineAsync($"The gateway removed {removedOnServer} cache entr{(removedOnServer == 1 ? "y" : "ies")}").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
