using System.Globalization;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// Refuses a model registry the router could not use safely: empty or duplicate ids, no provider name, negative or
/// non-finite prices, a chat or embedding model without prices that is not declared free, a context window ≤ 0, a
/// negative max output, unknown tier or capability names, a premium model that is not a chat model of the registry. A provider name that is not configured is allowed: its models are simply not available.
/// </summary>
internal sealed class ModelRegistryValidator : IValidateOptions<ModelRegistryOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelRegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var models = ModelRegistry.Effective(options);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var chatModels = 0;
        for (var i = 0; i < models.Count; i++)
        {
            var model = models[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"Routing:Models:{i}");
            if (string.IsNullOrWhiteSpace(model.Id))
            {
                failures.Add($"{at}:Id is empty.");
            }
            else if (!ids.Add(model.Id))
            {
                failures.Add($"{at}:Id '{model.Id}' is a duplicate; model ids must be unique.");
            }

            if (string.IsNullOrWhiteSpace(model.Provider))
            {
                failures.Add($"{at}:Provider is empty (e.g. nim, anthropic, local, or a configured provider name).");
            }

            if (!double.IsFinite(model.InputPricePerMillion) || model.InputPricePerMillion < 0)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{at}:InputPricePerMillion is {model.InputPricePerMillion}; a price is a finite number ≥ 0."));
            }

            if (!double.IsFinite(model.OutputPricePerMillion) || model.OutputPricePerMillion < 0)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{at}:OutputPricePerMillion is {model.OutputPricePerMillion}; a price is a finite number ≥ 0."));
            }

            if (model.ContextWindow <= 0)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{at}:ContextWindow is {model.ContextWindow}; it must be > 0."));
            }

            if (model.MaxOutputTokens < 0)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{at}:MaxOutputTokens is {model.MaxOutputTokens}; it must be ≥ 0 (0 = bounded by the context window)."));
            }

            // An unpriced model costs $0 in the ledger, so no budget would ever stop it: prices are required unless the
            // model is declared free (or is served in-process by `local`).
            if (!model.IsFree && double.IsFinite(model.InputPricePerMillion) && double.IsFinite(model.OutputPricePerMillion))
            {
                if (model.IsEmbeddingOnly && model.InputPricePerMillion <= 0)
                {
                    failures.Add($"{at} ({model.Id}) has no InputPricePerMillion; give the embedding model's price, or set Free: true if calling it costs nothing.");
                }
                else if (!model.IsEmbeddingOnly && (model.InputPricePerMillion <= 0 || model.OutputPricePerMillion <= 0))
                {
                    failures.Add($"{at} ({model.Id}) needs InputPricePerMillion and OutputPricePerMillion > 0; give the chat model's prices, or set Free: true if calling it costs nothing.");
                }
            }

            foreach (var tier in model.Tiers)
            {
                if (!ComplexityTiers.All.Contains(tier))
                {
                    failures.Add($"{at}:Tiers has unknown tier '{tier}'; known: simple, medium, complex.");
                }
            }

            foreach (var capability in model.Capabilities)
            {
                if (!ModelCapabilities.All.Contains(capability))
                {
                    failures.Add($"{at}:Capabilities has unknown capability '{capability}'; known: code, reasoning, long-context, vision, function-calling, embedding.");
                }
            }

            if (model.IsEmbeddingOnly && model.Tiers.Count > 0)
            {
                failures.Add($"{at} ({model.Id}) is an embedding model; it cannot serve chat tiers.");
            }

            if (!model.IsEmbeddingOnly)
            {
                chatModels++;
            }
        }

        if (chatModels == 0)
        {
            failures.Add("Routing:Models has no chat model (every model is embedding-only).");
        }

        var premium = FindById(models, options.PremiumModel);
        if (premium is null)
        {
            failures.Add($"Routing:PremiumModel '{options.PremiumModel}' is not in Routing:Models.");
        }
        else if (premium.IsEmbeddingOnly)
        {
            failures.Add($"Routing:PremiumModel '{options.PremiumModel}' is an embedding model; it must be a chat model.");
        }

        if (!string.IsNullOrEmpty(options.DefaultEmbeddingModel))
        {
            var embedding = FindById(models, options.DefaultEmbeddingModel);
            if (embedding is null || !embedding.Has(ModelCapabilities.Embedding))
            {
                failures.Add($"Routing:DefaultEmbeddingModel '{options.DefaultEmbeddingModel}' is not an embedding model of Routing:Models.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static ModelDefinition? FindById(IReadOnlyList<ModelDefinition> models, string id)
    {
        foreach (var model in models)
        {
            if (string.Equals(model.Id, id, StringComparison.Ordinal))
            {
                return model;
            }
        }

        return null;
    }
}
