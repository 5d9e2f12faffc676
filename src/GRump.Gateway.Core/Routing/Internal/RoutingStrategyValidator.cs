using System.Globalization;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// Refuses a strategy configuration the router could not run: an unknown <c>Routing:Strategy</c> or <c>Routing:Shadow</c>,
/// a shadow equal to the active strategy, an exemplar file that is missing or has a bad line, or an embedding strategy
/// with no exemplars at all (YARP validates its load-balancing policy names the same way).
/// </summary>
internal sealed class RoutingStrategyValidator : IValidateOptions<RoutingStrategyOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var known = string.Join(", ", RoutingStrategies.Names);
        var strategyOk = RoutingStrategies.TryParse(options.Strategy, out var strategy);
        if (!strategyOk)
        {
            failures.Add($"Routing:Strategy '{options.Strategy}' is not a routing strategy; use one of: {known}.");
        }

        var shadowOn = !string.IsNullOrWhiteSpace(options.Shadow);
        if (shadowOn)
        {
            if (!RoutingStrategies.TryParse(options.Shadow, out var shadow))
            {
                failures.Add($"Routing:Shadow '{options.Shadow}' is not a routing strategy; use one of: {known}, or leave it empty.");
            }
            else if (strategyOk && shadow == strategy)
            {
                failures.Add($"Routing:Shadow '{options.Shadow}' is the active strategy; a shadow must differ from Routing:Strategy.");
            }
        }

        var exemplars = 0;
        for (var i = 0; i < options.ExemplarFiles.Count; i++)
        {
            var path = options.ExemplarFiles[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"Routing:ExemplarFiles:{i}");
            if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
            {
                failures.Add($"{at} '{path}' does not exist.");
                continue;
            }

            try
            {
                exemplars += RoutingCorpus.ReadFile(path).Count;
            }
            catch (Exception exception) when (exception is FormatException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{at}: {exception.Message}");
            }
        }

        var needsExemplars = (strategyOk && RoutingStrategies.NeedsEmbeddings(strategy))
            || (shadowOn && RoutingStrategies.TryParse(options.Shadow, out var shadowStrategy) && RoutingStrategies.NeedsEmbeddings(shadowStrategy));
        if (needsExemplars && !options.BuiltInExemplars && exemplars == 0 && failures.Count == 0)
        {
            failures.Add("Routing:BuiltInExemplars is false and Routing:ExemplarFiles hold no exemplar: the embedding router has nothing to learn from.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
