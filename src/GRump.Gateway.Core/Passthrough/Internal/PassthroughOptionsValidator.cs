using System.Buffers;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Passthrough.Internal;

/// <summary>
/// Refuses an allow-list the passthrough could not enforce: a path outside <c>/v1/</c>, one that is not in normal form
/// (empty or dot segments, escapes, upper case), one the gateway serves itself, an unknown method or metering, a
/// per-call route without a price, a usage route that is not a POST (its model is read from the JSON body), a route
/// listed twice.
/// </summary>
internal sealed class PassthroughOptionsValidator : IValidateOptions<PassthroughOptions>
{
    /// <summary>Served by the gateway's own endpoints: never forwarded.</summary>
    public static readonly string[] NativePaths = ["/v1/chat/completions", "/v1/embeddings", "/v1/models", "/v1/responses", "/v1/messages"];

    private static readonly SearchValues<char> PathChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789/-_.");
    private static readonly string[] KnownMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    public ValidateOptionsResult Validate(string? name, PassthroughOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Routes.Count; i++)
        {
            var route = options.Routes[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"Passthrough:Routes:{i}");
            var path = route.Path.EndsWith("/*", StringComparison.Ordinal) ? route.Path[..^2] : route.Path;
            if (!IsNormalPath(path))
            {
                failures.Add($"{at}:Path '{route.Path}' must be a lower-case /v1/… path without empty, '.' or '..' segments (optionally ending in /*).");
            }
            else if (NativePaths.Any(native => path == native || native.StartsWith(path + "/", StringComparison.Ordinal) || path.StartsWith(native + "/", StringComparison.Ordinal)))
            {
                failures.Add($"{at}:Path '{route.Path}' is served by the gateway itself ({string.Join(", ", NativePaths)}); it is never forwarded.");
            }

            foreach (var method in route.EffectiveMethods)
            {
                if (!KnownMethods.Contains(method, StringComparer.Ordinal))
                {
                    failures.Add($"{at}:Methods has '{method}'; use {string.Join(", ", KnownMethods)} (upper case).");
                }
                else if (!seen.Add(method + " " + route.Path))
                {
                    failures.Add($"{at}: {method} {route.Path} is listed twice.");
                }
            }

            switch (route.Metering)
            {
                case PassthroughMetering.Usage:
                    if (route.PricePerCallUsd is not null)
                    {
                        failures.Add($"{at}: a usage route is billed from the response's usage; PricePerCallUsd belongs to per-call routes.");
                    }

                    if (route.EffectiveMethods.Any(m => m != "POST"))
                    {
                        failures.Add($"{at}: a usage route reads its model from a JSON body, so it must be POST only.");
                    }

                    if (route.Provider.Length > 0)
                    {
                        failures.Add($"{at}: a usage route goes to the provider of the model its body names; Provider belongs to per-call routes.");
                    }

                    if (route.OutputLimitField.Length > 0 && !OutputLimits.Fields.Contains(route.OutputLimitField, StringComparer.Ordinal))
                    {
                        failures.Add($"{at}:OutputLimitField '{route.OutputLimitField}' is not one of {string.Join(", ", OutputLimits.Fields)} (or empty for no output).");
                    }

                    break;
                case PassthroughMetering.PerCall:
                    if (route.PricePerCallUsd is not { } price || !double.IsFinite(price) || price < 0)
                    {
                        failures.Add($"{at}: a per-call route needs PricePerCallUsd (a finite number ≥ 0): an unpriced path would be an unmetered one.");
                    }

                    break;
                default:
                    failures.Add($"{at}:Metering '{route.Metering}' is unknown; use '{PassthroughMetering.Usage}' or '{PassthroughMetering.PerCall}'.");
                    break;
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>A path the request path guard would let through unchanged: <c>/v1/</c> + non-empty segments, no dot segments.</summary>
    public static bool IsNormalPath(string path)
    {
        if (!path.StartsWith("/v1/", StringComparison.Ordinal) || path.Length == 4 || path.EndsWith('/') || path.AsSpan().ContainsAnyExcept(PathChars))
        {
            return false;
        }

        foreach (var segment in path[1..].Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Body fields that cap an OpenAI-style request's output (Chat Completions, legacy Completions, Responses).</summary>
internal static class OutputLimits
{
    public static readonly string[] Fields = ["max_tokens", "max_completion_tokens", "max_output_tokens"];
}
