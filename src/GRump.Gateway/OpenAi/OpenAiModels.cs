using System.Text.Json;
using GRump.Gateway.Auth;
using GRump.Gateway.Errors;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the registry's models whose provider is configured here — the
/// ones a request can actually use. Ids may contain slashes (<c>moonshotai/kimi-k2.5</c>).
/// </summary>
internal static class OpenAiModels
{
    public static async Task GetAsync(HttpContext context, string id, IProviderDirectory providers, ModelRegistry registry)
    {
        try
        {
            _ = context.GetCaller();
            if (!registry.TryGet(id, out var model) || !providers.IsAvailable(model.Provider))
            {
                throw new GatewayException(GatewayErrorKind.NotFound,
                    $"The model '{(id.Length > 128 ? id[..128] + "…" : id)}' does not exist on this gateway; GET /v1/models lists the available ones.",
                    [new FieldViolation("model", "not available here")])
                { Reason = "MODEL_NOT_FOUND" };
            }
            context.Response.ContentType = "application/json";
            using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
            Write(writer, model);
            await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
    }

    /// <summary>The models a request can use: registered, with their provider configured.</summary>
    public static IEnumerable<ModelDefinition> Available(IProviderDirectory providers, ModelRegistry registry) =>
        registry.Models.Where(m => providers.IsAvailable(m.Provider));

    /// <summary>One OpenAI model object.</summary>
    public static void Write(Utf8JsonWriter writer, ModelDefinition model)
    {
        writer.WriteStartObject();
        writer.WriteString("id", model.Id);
        writer.WriteString("object", "model");
        writer.WriteNumber("created", 0);
        writer.WriteString("owned_by", model.Provider);
        writer.WriteEndObject();
    }
}
