using System.Text;
using BenchmarkDotNet.Attributes;
using GRump.Gateway.Intent;
using GRump.Gateway.Services;

namespace GRump.Benchmarks.Intent;

/// <summary>
/// Intent compiler cost per input size (spec performance contract: ≤ 5 µs and ≤ 2 KB for a 15-word prompt,
/// linear in length, 24,000 chars well under 10 ms). Run:
/// <c>dotnet run -c Release -- --filter '*Intent*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class IntentCompilerBenchmarks
{
    private const string Prompt = "Build a todo app with auth and dashboard using React, Node and Postgres on Vercel";

    private const string Paragraph =
        "As a product manager I want a multi-tenant SaaS platform for small business owners to manage bookings. " +
        "Customers sign up, log in with social login or 2FA, browse a calendar and book appointments; admins get " +
        "an admin dashboard with analytics, audit logs and CSV export. Build the frontend with Next.js and " +
        "Tailwind, the backend in Go with PostgreSQL and Redis for caching, and send email and push notifications " +
        "through a message queue. Payments and subscriptions run on Stripe with webhooks. Don't use MongoDB or " +
        "Firebase. Deploy with Docker and Kubernetes on AWS, with CI/CD, monitoring and logging. Add real-time chat " +
        "between customers and staff, full text search over bookings, and dark mode. Write unit tests and end to " +
        "end tests with Playwright, and keep the REST API versioned for mobile clients on iOS and Android. " +
        "Every booking needs a confirmation PDF and reminders by email, and guests can browse without an account.";

    private static readonly string[] Mixed =
    [
        Prompt,
        "Use pg database with k8s",
        "Don't use React, build with Vue",
        "Build a REST API with Express and PostgreSQL",
        "Write a CLI in Rust that syncs files to S3",
        "Create a mobile app with Flutter and Firebase for students to share notes",
        "Refactor the Django monolith into microservices with Kafka",
        "Ship a serverless image upload service on AWS Lambda",
        "Add RBAC, SSO and audit logging to the admin panel",
        Paragraph,
    ];

    private readonly IntentCompiler _compiler = new();
    private string _large = string.Empty;
    private string[] _batch = [];

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder(24_100);
        while (sb.Length < 24_000)
        {
            sb.Append(Paragraph).Append(' ');
        }

        _large = sb.ToString(0, 24_000);
        _batch = new string[1_000];
        for (var i = 0; i < _batch.Length; i++)
        {
            _batch[i] = Mixed[i % Mixed.Length];
        }
    }

    [Benchmark(Description = "15-word prompt")]
    public ParsedIntent ShortPrompt() => _compiler.Compile(Prompt);

    /// <summary>What ParseIntent does per call before serializing: compile, then map to the contract (IntentMapper).</summary>
    [Benchmark(Description = "15-word prompt → V1.Intent")]
    public GRump.Gateway.V1.Intent ShortPromptToContract() => IntentMapper.ToProto(_compiler.Compile(Prompt), constraints: null);

    [Benchmark(Description = "150-word paragraph")]
    public ParsedIntent Paragraph150() => _compiler.Compile(Paragraph);

    [Benchmark(Description = "24,000-char input")]
    public ParsedIntent Large() => _compiler.Compile(_large);

    [Benchmark(Description = "batch of 1,000 mixed", OperationsPerInvoke = 1)]
    public int Batch()
    {
        var features = 0;
        foreach (var raw in _batch)
        {
            features += _compiler.Compile(raw).Features.Count;
        }

        return features;
    }
}
