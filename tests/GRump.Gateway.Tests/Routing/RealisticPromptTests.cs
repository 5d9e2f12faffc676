using System.Globalization;
using System.Text;
using GRump.Gateway.Routing;
using GRump.Gateway.Chat;

namespace GRump.Gateway.Tests.Routing;

/// <summary>
/// The router on prompts people really send: the tier each one lands in, and that no complex task reaches the cheap
/// model while the premium one is configured (issue #5 acceptance).
/// </summary>
public sealed class RealisticPromptTests
{
    private static readonly ModelRouter Router = RoutingTestHelpers.Router(["local", "nim", "anthropic"]);

    public static TheoryData<string, string, ChatMode, ComplexityTier> Prompts()
    {
        var data = new TheoryData<string, string, ChatMode, ComplexityTier>();
        void Add(string label, string text, ComplexityTier tier, ChatMode mode = ChatMode.Unspecified) => data.Add(label, text, mode, tier);

        // Greetings and small talk.
        Add("greeting hi", "hi", ComplexityTier.Simple);
        Add("greeting how are you", "Hello! How are you today?", ComplexityTier.Simple);
        Add("thanks", "thanks, that worked", ComplexityTier.Simple);
        Add("good morning", "good morning", ComplexityTier.Simple);

        // One-line questions.
        Add("capital", "What is the capital of France?", ComplexityTier.Simple);
        Add("leap year", "How many days are in a leap year?", ComplexityTier.Simple);
        Add("http 404", "What does HTTP 404 mean?", ComplexityTier.Simple);
        Add("translate", "Translate 'good night' into Spanish.", ComplexityTier.Simple);
        Add("let vs const", "What's the difference between let and const in JavaScript?", ComplexityTier.Simple);
        Add("fahrenheit", "Convert 72 Fahrenheit to Celsius", ComplexityTier.Simple);
        Add("synonym", "Give me a synonym for 'happy'", ComplexityTier.Simple);
        Add("tokyo", "What time zone is Tokyo in?", ComplexityTier.Simple);
        Add("exit vim", "How do I exit vim?", ComplexityTier.Simple);
        Add("summarize", "Summarize this in one sentence: The meeting moved to Thursday at 3pm because the room was booked.", ComplexityTier.Simple);

        // Small edits.
        Add("typo", "Fix this typo: 'recieve the pakage'", ComplexityTier.Simple);
        Add("typo sentence", "fix the typo in this sentence: Teh quick brown fox", ComplexityTier.Simple);
        Add("rename variable", "Rename the variable x to count in: let x = 0; x++;", ComplexityTier.Simple);
        Add("reverse string", "Write a Python function to reverse a string", ComplexityTier.Simple);
        Add("haiku", "Write a haiku about autumn rain.", ComplexityTier.Simple);

        // Medium: explanations with comparison, single-unit code, small reviews.
        Add("rest vs graphql", "Compare REST and GraphQL for a mobile backend and explain the trade-offs.", ComplexityTier.Medium);
        Add("lru cache", "Implement an LRU cache class in TypeScript with O(1) get and put, then write unit tests for it.", ComplexityTier.Medium);
        Add("slow sql", "Debug why this SQL query is slow and suggest an index: SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.country = 'DE' ORDER BY o.created_at DESC LIMIT 50;", ComplexityTier.Medium);
        Add("raft", "Explain how Raft handles leader election and analyze what happens during a network partition.", ComplexityTier.Simple);
        Add("kafka vs rabbitmq", "Analyze the pros and cons of using Kafka versus RabbitMQ for our order events.", ComplexityTier.Medium);
        Add("postgres upgrade plan", "Plan the steps to migrate our PostgreSQL database from version 12 to 16 with minimal downtime.", ComplexityTier.Medium);
        Add("signup validation (code mode)", "Add input validation to the signup endpoint and return clear error messages.", ComplexityTier.Simple, ChatMode.Code);
        Add("backup script", "Write a bash script that backs up /etc every night, keeps 7 copies, then emails me on failure. Explain each step.", ComplexityTier.Simple);
        Add("null function", "Why does this function return null sometimes? Explain and fix it.\n" + ShortSnippet, ComplexityTier.Medium);
        Add("story", "Write a creative short story about a robot learning to paint, then a poem that summarizes it.", ComplexityTier.Simple);

        // Complex: architecture, multi-file refactors, cross-cutting fixes, long pasted code.
        Add("saas architecture", "Design a scalable, fault-tolerant architecture for a multi-tenant SaaS billing platform using event sourcing, Kafka, PostgreSQL and Kubernetes, and explain the trade-offs of each choice.", ComplexityTier.Complex);
        Add("auth refactor", "Refactor the authentication module across the api, web and worker services to use the new token store, then update all the tests.", ComplexityTier.Complex);
        Add("monolith split", "Migrate our monolithic Django app to microservices: first split out payments and notifications, then add an API gateway, and finally plan a zero-downtime rollout.", ComplexityTier.Complex);
        Add("double charge", "We have a race condition in the order service: two workers sometimes charge the same card twice. Investigate the root cause across the queue consumer and the payment client, then fix it and add tests that prove it cannot happen again.", ComplexityTier.Complex);
        Add("collab editor (architecture mode)", "Design the system for a real-time collaborative document editor with offline support and conflict resolution.", ComplexityTier.Complex, ChatMode.Architecture);
        Add("security review of long code", "Review this code for security vulnerabilities and refactor it to be production ready:\n" + LongCode(120), ComplexityTier.Complex);
        Add("bug in long code", "Find the bug in this code, explain why it happens and fix it:\n" + LongCode(90), ComplexityTier.Complex);
        Add("data layer rewrite", "Rewrite the data access layer of the whole codebase from raw SQL to Entity Framework Core across all 40 repositories, keep the public API backward compatible, and write a migration plan.", ComplexityTier.Complex);
        Add("rate limiter", "Design a distributed rate limiter for a global API with high availability and exact per-tenant quotas; compare token bucket and sliding window and prove the consistency guarantees.", ComplexityTier.Complex);
        Add("e2e encryption", "Implement end-to-end encryption for the chat feature across the iOS, Android and web clients, then document the key rotation strategy and the security trade-offs.", ComplexityTier.Complex);
        Add("timeline design", "How would you architect Twitter's timeline service to handle 500k writes per second? Discuss fan-out strategies, caching and the trade-offs, and design the data model.", ComplexityTier.Complex);
        Add("ship todo app (ship mode)", "Build a todo app with authentication, a dashboard and notifications using React, Node and PostgreSQL, deployed on Kubernetes.", ComplexityTier.Complex, ChatMode.Ship);
        Add("multi-file feature", "Add multi-file upload to the app: implement the endpoint, the storage service and the React component, then write unit tests for each.", ComplexityTier.Complex);
        return data;
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Route_RealisticPrompt_LandsInExpectedTier(string label, string text, ChatMode mode, ComplexityTier expected)
    {
        // Act
        var result = Router.Analyze(RoutingTestHelpers.Chat(text, mode));

        // Assert
        var decision = result.Decision;
        Assert.True(expected == decision.Tier, $"{label}: expected {expected}, got {decision.Tier} (score {decision.Score}): {Describe(decision)}");
        if (expected == ComplexityTier.Complex)
        {
            Assert.Equal(ModelRegistry.ClaudeSonnet, decision.Model);
        }
        else
        {
            Assert.Equal(ModelRegistry.KimiK25, decision.Model);
        }
    }

    [Fact]
    public void Prompts_CoverAtLeastFortyCases()
    {
        Assert.True(Prompts().Count >= 40);
    }

    private static string Describe(RoutingDecision decision)
    {
        var sb = new StringBuilder();
        foreach (var factor in decision.Factors)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{factor.Name}={factor.Points} [{factor.Detail}] ");
        }

        return sb.ToString();
    }

    private const string ShortSnippet = """
        public User? FindUser(string email)
        {
            foreach (var user in _users)
            {
                if (user.Email == email.Trim())
                {
                    return user;
                }
            }
            return null;
        }
        """;

    /// <summary>A realistic C# service, <paramref name="methods"/> methods long (~25 tokens a line).</summary>
    private static string LongCode(int methods)
    {
        var sb = new StringBuilder("using System.Data;\nusing Microsoft.Data.SqlClient;\n\npublic class OrderRepository\n{\n    private readonly string _connectionString;\n\n");
        for (var i = 0; i < methods; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $$"""
                    public async Task<Order?> GetOrder{{i}}Async(int id, string status)
                    {
                        using var connection = new SqlConnection(_connectionString);
                        await connection.OpenAsync();
                        var command = new SqlCommand("SELECT * FROM Orders WHERE Id = " + id + " AND Status = '" + status + "'", connection);
                        using var reader = await command.ExecuteReaderAsync();
                        return reader.Read() ? new Order(reader.GetInt32(0), reader.GetString(1), reader.GetDecimal(2)) : null;
                    }

                """);
        }

        return sb.Append("}\n").ToString();
    }
}
