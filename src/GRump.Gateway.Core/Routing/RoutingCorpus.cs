using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GRump.Gateway.Chat;

namespace GRump.Gateway.Routing;

/// <summary>
/// Reads labelled routing exemplars: JSON Lines, one request per line (format and labelling rule:
/// Routing/Corpus/README.md). The corpus's training split ships inside this assembly; its holdout stays in the repository
/// for the offline evaluation. A bad line fails with its source and line number.
/// </summary>
public static class RoutingCorpus
{
    /// <summary>Limits for one file: exemplars are configuration, but they are read into memory and embedded at start.</summary>
    public const int MaxExemplars = 20_000;

    public const int MaxMessages = 64;

    public const int MaxContentChars = 64 * 1024;

    private const string TrainingResource = "GRump.Gateway.Routing.Corpus.train.jsonl";


    /// <summary>The corpus's training split, as shipped in the gateway.</summary>
    public static IReadOnlyList<RoutingExemplar> BuiltInTraining()
    {
        using var stream = typeof(RoutingCorpus).Assembly.GetManifestResourceStream(TrainingResource)
            ?? throw new InvalidOperationException($"{TrainingResource} is not embedded in {typeof(RoutingCorpus).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return Read(reader, "built-in routing corpus (train.jsonl)");
    }

    /// <summary>Reads a JSON Lines file of exemplars.</summary>
    /// <exception cref="FormatException">A line is not a valid exemplar (the message names the file and line).</exception>
    public static IReadOnlyList<RoutingExemplar> ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <summary>Reads exemplars from <paramref name="reader"/>; <paramref name="source"/> names it in errors. Blank lines and lines starting with # are skipped.</summary>
    public static IReadOnlyList<RoutingExemplar> Read(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var exemplars = new List<RoutingExemplar>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (exemplars.Count == MaxExemplars)
            {
                throw Bad(source, number, string.Create(CultureInfo.InvariantCulture, $"more than {MaxExemplars} exemplars in one file"));
            }

            var exemplar = Parse(line, source, number);
            if (!ids.Add(exemplar.Id))
            {
                throw Bad(source, number, $"id '{exemplar.Id}' appears twice");
            }

            exemplars.Add(exemplar);
        }

        return exemplars;
    }

    private static RoutingExemplar Parse(string line, string source, int number)
    {
        ExemplarLine? row;
        try
        {
            row = JsonSerializer.Deserialize(line, RoutingCorpusJsonContext.Default.ExemplarLine);
        }
        catch (JsonException exception)
        {
            throw Bad(source, number, "not a JSON object: " + exception.Message);
        }

        if (row is null)
        {
            throw Bad(source, number, "not a JSON object");
        }

        if (!ComplexityTiers.TryParse(row.Tier, out var tier))
        {
            throw Bad(source, number, $"tier '{row.Tier}' is not simple, medium or complex");
        }

        if (row.Messages is not { Count: > 0 } messages)
        {
            throw Bad(source, number, "messages is empty; give at least one {\"role\": \"user\", \"content\": \"...\"}");
        }

        if (messages.Count > MaxMessages)
        {
            throw Bad(source, number, string.Create(CultureInfo.InvariantCulture, $"more than {MaxMessages} messages"));
        }

        var turns = new ChatMessage[messages.Count];
        var hasUser = false;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (!TryRole(message?.Role, out var role))
            {
                throw Bad(source, number, string.Create(CultureInfo.InvariantCulture, $"messages[{i}].role '{message?.Role}' is not system, user, assistant or tool"));
            }

            if (string.IsNullOrWhiteSpace(message!.Content))
            {
                throw Bad(source, number, string.Create(CultureInfo.InvariantCulture, $"messages[{i}].content is empty"));
            }

            if (message.Content.Length > MaxContentChars)
            {
                throw Bad(source, number, string.Create(CultureInfo.InvariantCulture, $"messages[{i}].content is over {MaxContentChars} characters"));
            }

            hasUser |= role == ChatRole.User;
            turns[i] = ChatMessage.FromText(role, message.Content);
        }

        if (!hasUser)
        {
            throw Bad(source, number, "no user message: the task is the last user message");
        }

        var id = string.IsNullOrWhiteSpace(row.Id) ? string.Create(CultureInfo.InvariantCulture, $"line-{number}") : row.Id.Trim();
        return new RoutingExemplar(id, tier, turns)
        {
            Domain = row.Domain ?? string.Empty,
            Language = row.Lang ?? string.Empty,
            Tags = row.Tags ?? [],
            Group = string.IsNullOrWhiteSpace(row.Group) ? id : row.Group,
        };
    }

    private static bool TryRole(string? name, out ChatRole role)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "system":
                role = ChatRole.System;
                return true;
            case "user":
                role = ChatRole.User;
                return true;
            case "assistant":
                role = ChatRole.Assistant;
                return true;
            case "tool":
                role = ChatRole.Tool;
                return true;
            default:
                role = default;
                return false;
        }
    }

    private static FormatException Bad(string source, int line, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{source} line {line}: {problem}."));

    internal sealed class ExemplarLine
    {
        public string? Id { get; set; }

        public string? Tier { get; set; }

        public string? Domain { get; set; }

        public string? Lang { get; set; }

        public List<string>? Tags { get; set; }

        public string? Group { get; set; }

        public List<ExemplarMessage?>? Messages { get; set; }
    }

    internal sealed class ExemplarMessage
    {
        public string? Role { get; set; }

        public string? Content { get; set; }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(RoutingCorpus.ExemplarLine))]
internal sealed partial class RoutingCorpusJsonContext : JsonSerializerContext;
