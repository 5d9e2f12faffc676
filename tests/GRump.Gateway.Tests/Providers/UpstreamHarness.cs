using GRump.Fakes;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Providers;

/// <summary>A fake upstream and a gateway whose NIM and Anthropic providers point at it (fast retries for tests).</summary>
internal sealed class UpstreamHarness : IAsyncDisposable
{
    public const string NimKey = "nim-test-key";
    public const string AnthropicKey = "anthropic-test-key";

    private UpstreamHarness(FakeUpstream fake, GatewayApp app)
    {
        Fake = fake;
        App = app;
    }

    public FakeUpstream Fake { get; }

    public GatewayApp App { get; }

    public ChatService.ChatServiceClient Chat => new(App.Channel);

    public static async Task<UpstreamHarness> StartAsync(IDictionary<string, string?>? settings = null, string? nimUrl = null, string? anthropicUrl = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null)
    {
        var fake = await FakeUpstream.StartAsync(TestContext.Current.CancellationToken);
        var all = new Dictionary<string, string?>
        {
            ["NVIDIA_NIM_URL"] = nimUrl ?? fake.BaseUrl,
            ["NVIDIA_NIM_API_KEY"] = NimKey,
            ["ANTHROPIC_API_KEY"] = AnthropicKey,
            ["Providers:Anthropic:BaseUrl"] = anthropicUrl ?? fake.BaseUrl,
            ["Providers:Nim:RetryDelay"] = "00:00:00.001",
            ["Providers:Anthropic:RetryDelay"] = "00:00:00.001",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        var app = new GatewayApp(all, configureServices);
        try
        {
            app.Start();
        }
        catch
        {
            await app.DisposeAsync();
            await fake.DisposeAsync();
            throw;
        }
        return new UpstreamHarness(fake, app);
    }

    public static ChatRequest Ask(string text, string model = "") => new()
    {
        Model = model,
        Messages = { new ChatMessage { Role = "system", Content = "Be brief." }, new ChatMessage { Role = "user", Content = text } },
    };

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Fake.DisposeAsync();
    }
}
