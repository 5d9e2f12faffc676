using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Providers;

/// <summary>
/// One upstream under <c>Providers:&lt;name&gt;</c>. NIM and Anthropic also read their well-known environment variables
/// (<c>NVIDIA_NIM_API_KEY</c>, <c>NVIDIA_NIM_URL</c>, <c>ANTHROPIC_API_KEY</c>); any other name is an OpenAI-compatible
/// server (vLLM, Ollama, llama.cpp, OpenAI) unless <see cref="Kind"/> says <c>anthropic</c>.
/// </summary>
public sealed class ProviderOptions
{
    public const string SectionName = "Providers";

    /// <summary><c>openai</c> (OpenAI-compatible chat completions and embeddings) or <c>anthropic</c> (Messages API).</summary>
    public string Kind { get; set; } = ProviderKinds.OpenAi;

    /// <summary>Base URL; for OpenAI-compatible servers <c>/v1</c> is appended when missing.</summary>
    public string BaseUrl { get; set; } = string.Empty;

    /// <summary>Further replicas of the same upstream (a YARP cluster with <see cref="BaseUrl"/> as its first destination).</summary>
    public List<string> Destinations { get; set; } = [];

    public string ApiKey { get; set; } = string.Empty;

    /// <summary>Time allowed for one attempt to reach response headers (a stream's body is not bounded by it).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt on 408/429/5xx and connection failures (exponential backoff with jitter).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>Base delay of the retry backoff.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Failures within the sampling window that open a destination's circuit (with at least half the calls failing).</summary>
    [Range(2, 100_000)] // Polly's circuit breaker needs at least 2
    public int CircuitMinimumThroughput { get; set; } = 10;

    /// <summary>How long an open circuit rejects calls before a trial call.</summary>
    [Range(typeof(TimeSpan), "00:00:00.5", "1.00:00:00")] // Polly's minimum is 0.5 s
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Path probed by YARP's active health check, relative to the base URL (e.g. <c>models</c>); empty = passive only.</summary>
    public string HealthCheckPath { get; set; } = string.Empty;

    /// <summary>Inputs per embeddings call the upstream accepts.</summary>
    [Range(1, 100_000)]
    public int MaxEmbeddingBatch { get; set; } = 256;

    /// <summary>
    /// How the upstream is asked to send embeddings (OpenAI-compatible servers): <c>float</c>, a JSON number per value,
    /// which every server speaks; or <c>base64</c>, the floats' bytes, which OpenAI, vLLM and TEI also speak (what the
    /// official SDKs ask for): a third fewer bytes on the wire and no number to read. An answer in either form is read
    /// whichever was asked.
    /// </summary>
    [RegularExpression("^(float|base64)$", ErrorMessage = "Use 'float' or 'base64'.")]
    public string EmbeddingEncoding { get; set; } = "float";

    /// <summary>Anthropic requires max_tokens: used when a request leaves it at 0.</summary>
    [Range(1, 10_000_000)]
    public int DefaultMaxTokens { get; set; } = 4096;
}

public static class ProviderKinds
{
    public const string OpenAi = "openai";
    public const string Anthropic = "anthropic";
    public const string Local = "local";
}

public static class ProviderNames
{
    public const string Nim = "nim";
    public const string Anthropic = "anthropic";
    public const string Local = "local";
}
