using GRump.Gateway.Intent;

namespace GRump.Gateway.Tests.Intent;

/// <summary>One group per pipeline step of the spec (shared/spec/intent-compiler.md, steps 1–16).</summary>
public class IntentPipelineTests
{
    private const float Tolerance = 1e-5f;
    private readonly IntentCompiler _compiler = new();

    // ---- step 1: normalize

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n\t \r\n")]
    public void Compile_EmptyOrWhitespace_ReportsErrorWithDefaults(string raw)
    {
        // Act
        var intent = _compiler.Compile(raw);

        // Assert
        Assert.False(intent.Verification.WellFormed);
        Assert.Equal(["Intent raw text is empty"], intent.Verification.Errors);
        Assert.Empty(intent.Verification.Warnings);
        Assert.Equal(["user"], intent.Actors);
        Assert.Equal(string.Empty, intent.Raw);
        Assert.Empty(intent.Features);
        Assert.Empty(intent.EnrichedFeatures);
        Assert.Empty(intent.EnrichedTech);
        Assert.Empty(intent.Sentences);
        Assert.Empty(intent.DependencyGraph);
        Assert.Equal(ProjectType.Unknown, intent.ProjectType);
        Assert.Equal(ArchitecturePattern.Monolith, intent.ArchitecturePattern);
        Assert.Equal(0f, intent.ComplexityScore);
    }

    [Fact]
    public void Compile_PaddedInput_RawIsTrimmed()
    {
        // Act
        var intent = _compiler.Compile("  \n Build a blog \t ");

        // Assert
        Assert.Equal("Build a blog", intent.Raw);
        Assert.True(intent.Verification.WellFormed);
        Assert.Empty(intent.Verification.Errors);
    }

    [Fact]
    public void Compile_Null_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => _compiler.Compile(null!));
    }

    // ---- step 2: sentences

    [Fact]
    public void Compile_Terminators_SplitSentencesKeepingTerminator()
    {
        // Act
        var intent = _compiler.Compile("Build an app. Add auth! Really? Yes; ok\nDeploy it");

        // Assert
        Assert.Equal(["Build an app.", "Add auth!", "Really?", "Yes;", "ok", "Deploy it"], intent.Sentences.Select(s => s.Text));
        Assert.Equal([0, 1, 2, 3, 4, 5], intent.Sentences.Select(s => s.Index));
    }

    [Theory]
    [InlineData("Use Node.js for the backend and deploy to fly.io with v1.2 of the API")]
    [InlineData("Build it with .NET and ASP.NET Core")]
    public void Compile_DotBetweenLettersOrDigits_DoesNotSplitSentence(string raw)
    {
        // Act
        var intent = _compiler.Compile(raw);

        // Assert
        Assert.Equal([raw], intent.Sentences.Select(s => s.Text));
    }

    [Fact]
    public void Compile_PiecesOfOneChar_AreDropped()
    {
        // Act
        var intent = _compiler.Compile("Build it.. . Done!");

        // Assert
        Assert.Equal(["Build it.", "Done!"], intent.Sentences.Select(s => s.Text));
        Assert.Equal([0, 1], intent.Sentences.Select(s => s.Index));
    }

    // ---- step 3: tokens

    [Theory]
    [InlineData("Write it in C#.", "csharp", "c#")]
    [InlineData("Port the engine to C++, fast.", "cpp", "c++")]
    [InlineData("Set up CI/CD now", "ci-cd", "ci/cd")]
    [InlineData("Use (Node.js)!", "nodejs", "node.js")]
    [InlineData("Deploy on fly.io.", "fly.io", "fly.io")]
    [InlineData("Built with \"REACT\"", "react", "react")]
    [InlineData("Use socket.io", "socket.io", "socket.io")]
    public void Compile_TokenWithInnerPunctuation_SurvivesAndIsLowercased(string raw, string canonical, string matchedAs)
    {
        // Act
        var tech = _compiler.Compile(raw).Tech(canonical);

        // Assert
        Assert.NotNull(tech);
        Assert.Equal(matchedAs, tech.Value.MatchedAs);
    }

    [Theory]
    [InlineData("Use React/Vue with c++/rust and react+node", new[] { "react", "vue", "cpp", "rust", "nodejs" })]
    [InlineData("Set up ci/cd and CI/CD/k8s", new[] { "ci-cd", "kubernetes" })]
    public void Compile_SlashOrPlusInUnknownToken_SplitsIntoWords(string raw, string[] tech)
    {
        Assert.Equal(tech, _compiler.Compile(raw).TechStackHints);
    }

    [Fact]
    public void Compile_TokensGluedByPunctuation_AreSplit()
    {
        // Act
        var intent = _compiler.Compile("Use react,postgres;redis");

        // Assert
        Assert.Equal(["react", "postgresql", "redis"], intent.TechStackHints);
    }

    // ---- step 4: negation

    [Theory]
    [InlineData("Don't ever want React", true)]
    [InlineData("Don't ever really want React", true)]
    [InlineData("Don't ever really truly want React", false)]
    [InlineData("Use Vue rather than React", true)]
    [InlineData("We do not need React", true)]
    [InlineData("React, not Vue", false)]
    public void Compile_NegationWindow_IsFourTokensAfterCue(string raw, bool negated)
    {
        // Act
        var react = _compiler.Compile(raw).Tech("react");

        // Assert
        Assert.NotNull(react);
        Assert.Equal(negated, react.Value.Negated);
    }

    [Theory]
    [InlineData("Drag and drop file upload", "file-upload", false)]
    [InlineData("Keep the blog and drop file upload", "file-upload", true)]
    [InlineData("Not only chat but also a blog", "chat", false)]
    [InlineData("No matter what, add chat", "chat", false)]
    public void Compile_CueWordInIdiom_NegatesNothing(string raw, string feature, bool negated)
    {
        Assert.Equal(negated, _compiler.Compile(raw).Feature(feature)!.Value.Negated);
    }

    [Fact]
    public void Compile_NegationCue_DoesNotCrossSentenceEnd()
    {
        // Act
        var intent = _compiler.Compile("No auth. Use React.");

        // Assert
        Assert.False(intent.Tech("react")!.Value.Negated);
        Assert.True(intent.Feature("authentication")!.Value.Negated);
    }

    [Fact]
    public void Compile_TypographicApostrophe_IsANegationCue()
    {
        Assert.True(_compiler.Compile("Don\u2019t use React").Tech("react")!.Value.Negated);
    }

    // ---- step 5: tech

    [Fact]
    public void Compile_SameTechTwice_FirstOccurrenceWins()
    {
        // Act
        var intent = _compiler.Compile("Use React and Postgres. Don't use React or MySQL");

        // Assert
        Assert.Single(intent.EnrichedTech, t => t.Canonical == "react");
        Assert.False(intent.Tech("react")!.Value.Negated);
        Assert.True(intent.Tech("mysql")!.Value.Negated);
        Assert.All(intent.EnrichedTech, t => Assert.Equal(0.95f, t.Confidence));
        Assert.Equal(["react", "postgresql"], intent.TechStackHints);
    }

    [Theory]
    [InlineData("A CLI written in Go", true)]
    [InlineData("The backend in Go please", true)]
    [InlineData("Build it using Go", true)]
    [InlineData("Build it with Go and Redis", true)]
    [InlineData("A golang service", true)]
    [InlineData("Rust and Go services", true)]
    [InlineData("Let's go", false)]
    [InlineData("Then go to the page", false)]
    [InlineData("Go build a blog", false)]
    public void Compile_Go_IsLanguageOnlyAfterTechCue(string raw, bool isGo)
    {
        Assert.Equal(isGo, _compiler.Compile(raw).Tech("go") is not null);
    }

    [Theory]
    [InlineData("Next, add a blog", "nextjs", false)]
    [InlineData("Build the site with Next and Tailwind", "nextjs", true)]
    [InlineData("Resize images on the fly", "fly.io", false)]
    [InlineData("Deploy on Fly", "fly.io", true)]
    [InlineData("A solid design", "solidjs", false)]
    public void Compile_EverydayWordAliases_FollowTheGoRule(string raw, string canonical, bool found)
    {
        Assert.Equal(found, _compiler.Compile(raw).Tech(canonical) is not null);
    }

    [Fact]
    public void Compile_MultiWordAlias_MatchesBigram()
    {
        // Act
        var intent = _compiler.Compile("An API on ASP.NET Core and Spring Boot");

        // Assert
        Assert.Equal("asp.net core", intent.Tech("aspnetcore")!.Value.MatchedAs);
        Assert.Equal("spring boot", intent.Tech("spring-boot")!.Value.MatchedAs);
        Assert.Null(intent.Tech("spring"));
    }

    // ---- step 6: features

    [Fact]
    public void Compile_TokenAndPhraseFeatures_HaveSpecConfidence()
    {
        // Act
        var intent = _compiler.Compile("Add a blog with dark mode");

        // Assert
        Assert.Equal(0.90f, intent.Feature("blog")!.Value.Confidence);
        Assert.Equal(0.85f, intent.Feature("dark-mode")!.Value.Confidence);
        Assert.Equal(["blog", "dark-mode"], intent.EnrichedFeatures.Select(f => f.Name));
    }

    [Fact]
    public void Compile_PhraseForCanonicalAlreadySeen_IsNotRepeated()
    {
        // Act
        var intent = _compiler.Compile("Add login and a log in page");

        // Assert
        var auth = Assert.Single(intent.EnrichedFeatures, f => f.Name == "authentication");
        Assert.Equal(0.90f, auth.Confidence);
    }

    [Fact]
    public void Compile_PhraseNegation_UsesFirstWordPosition()
    {
        // "log" is the 4th token after the cue (negated), "in" the 5th (not).
        Assert.True(_compiler.Compile("Don't ever need any log in").Feature("authentication")!.Value.Negated);
        Assert.False(_compiler.Compile("Don't ever need any more log in").Feature("authentication")!.Value.Negated);
    }

    [Theory]
    [InlineData("Deploy the dashboard", FeatureAction.Deploy)]
    [InlineData("Build it, then migrate the old dashboard", FeatureAction.Migrate)]
    [InlineData("Please the very big shiny dashboard. Deploy it.", FeatureAction.Deploy)]
    [InlineData("A dashboard", FeatureAction.Build)]
    [InlineData("Test the login and benchmark the cache", FeatureAction.Test)]
    public void Compile_FeatureAction_IsNearestVerbElseFirstVerbElseBuild(string raw, FeatureAction expected)
    {
        Assert.Equal(expected, _compiler.Compile(raw).EnrichedFeatures[0].Action);
    }

    [Theory]
    [InlineData("Add chat and push notifications", "notifications")]
    [InlineData("Add audit logs and billing", "billing")]
    public void Compile_VerbStartingAFeaturePhrase_IsNotAnAction(string raw, string feature)
    {
        // "push" (DEPLOY) and "audit" (TEST) are nouns in "push notifications" and "audit logs".
        Assert.Equal(FeatureAction.Build, _compiler.Compile(raw).Feature(feature)!.Value.Action);
    }

    [Fact]
    public void Compile_VerbMoreThanFourTokensBefore_FallsBackToFirstVerb()
    {
        // Act: "configure" is 5 tokens before "cache"; the first verb in the text is "deploy".
        var intent = _compiler.Compile("Deploy it. Configure the very big shared cache");

        // Assert
        Assert.Equal(FeatureAction.Deploy, intent.Feature("caching")!.Value.Action);
    }

    // ---- step 7: phrase captures

    [Fact]
    public void Compile_VerbPhrase_CapturedUpToWith()
    {
        // Act
        var intent = _compiler.Compile("Build a todo app with auth using React and Postgres");

        // Assert
        Assert.Equal(["authentication", "a todo app", "auth using react"], intent.Features);
    }

    [Theory]
    [InlineData("Create a habit tracker that syncs", "a habit tracker")]
    [InlineData("Design a landing site, then ship", "a landing site")]
    [InlineData("An app featuring dark themes and maps", "dark themes")]
    [InlineData("Make a game.", "a game")]
    public void Compile_Captures_StopAtSpecDelimiters(string raw, string capture)
    {
        Assert.Contains(capture, _compiler.Compile(raw).Features);
    }

    [Theory]
    [InlineData("Rebuild everything now")]
    [InlineData("Add it")]
    [InlineData("Don't build a mobile game")]
    public void Compile_NoCapture_WhenVerbEmbeddedTooShortOrNegated(string raw)
    {
        Assert.Empty(_compiler.Compile(raw).Features);
    }

    [Fact]
    public void Compile_CaptureThatIsAKnownAlias_IsNotRepeated()
    {
        // Act
        var intent = _compiler.Compile("A landing page with dark mode, using Astro. Build it with Express");

        // Assert
        Assert.Equal(["landing-page", "dark-mode"], intent.Features);
    }

    [Fact]
    public void Compile_CaptureReachingANegationCue_StopsBeforeIt()
    {
        // Act
        var intent = _compiler.Compile("Build the game with vue instead of react");

        // Assert
        Assert.Contains("vue", intent.TechStackHints);
        Assert.DoesNotContain(intent.Features, f => f.Contains("react", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_LongCapture_IsCutAtWordBoundary()
    {
        // Act
        var intent = _compiler.Compile("Build " + string.Join(' ', Enumerable.Repeat("wonderful", 30)));

        // Assert
        var capture = Assert.Single(intent.Features);
        Assert.True(capture.Length <= 64, capture);
        Assert.EndsWith("wonderful", capture, StringComparison.Ordinal);
    }

    // ---- step 8: actors

    [Theory]
    [InlineData("As an admin I want reports", new[] { "admin" })]
    [InlineData("As a teacher I grade work", new[] { "teacher" })]
    [InlineData("Customers and managers and more customers", new[] { "customer", "manager" })]
    [InlineData("Stakeholders review; actors act", new[] { "stakeholder", "actor" })]
    [InlineData("A portal for small business owners to track sales", new[] { "small business owners" })]
    [InlineData("An app for the students, with quizzes", new[] { "students" })]
    [InlineData("A layer for caching", new[] { "user" })]
    [InlineData("As a result it is fast", new[] { "user" })]
    [InlineData("As a product manager I plan", new[] { "product manager" })]
    [InlineData("As an admin and a manager", new[] { "admin", "manager" })]
    [InlineData("Nothing here", new[] { "user" })]
    [InlineData("For users and guests", new[] { "user", "guest" })]
    [InlineData("For admins and teachers", new[] { "admins and teachers", "admin" })]
    public void Compile_Actors_FollowSpecRules(string raw, string[] actors)
    {
        Assert.Equal(actors, _compiler.Compile(raw).Actors);
    }

    // ---- step 9: dependencies

    [Fact]
    public void Compile_Dependencies_SortedByFromThenTo()
    {
        // Act
        var intent = _compiler.Compile("Add subscriptions, checkout, chat, orm and rbac");

        // Assert
        var pairs = intent.DependencyGraph.Select(e => (e.From, e.To)).ToArray();
        Assert.Equal(pairs.OrderBy(p => p.From, StringComparer.Ordinal).ThenBy(p => p.To, StringComparer.Ordinal), pairs);
        Assert.Equal(pairs.Distinct().Count(), pairs.Length);
        Assert.All(intent.DependencyGraph, e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));
        Assert.Contains(("checkout", "shopping-cart"), pairs);
        Assert.Contains(("subscriptions", "payments"), pairs);
        Assert.Contains(("orm", "database"), pairs);
    }

    [Fact]
    public void Compile_NegatedFeature_EmitsNoEdge()
    {
        // Act
        var intent = _compiler.Compile("Add a blog but no RBAC");

        // Assert
        Assert.True(intent.Feature("role-based-access")!.Value.Negated);
        Assert.Empty(intent.DependencyGraph);
    }

    // ---- step 10: project type

    [Theory]
    [InlineData("Split the shop into microservices", ProjectType.Microservice)]
    [InlineData("A command line tool for notes", ProjectType.Cli)]
    [InlineData("A command-line tool for notes", ProjectType.Cli)]
    [InlineData("Write a CLI in Rust", ProjectType.Cli)]
    [InlineData("An iOS and Android app", ProjectType.MobileApp)]
    [InlineData("A React Native app", ProjectType.MobileApp)]
    [InlineData("Publish an SDK for payments", ProjectType.Library)]
    [InlineData("Express and Postgres backend", ProjectType.Api)]
    [InlineData("Express and Postgres with a dashboard", ProjectType.WebApp)]
    [InlineData("A React app", ProjectType.WebApp)]
    [InlineData("An online shop with a cart", ProjectType.WebApp)]
    [InlineData("A Django service", ProjectType.Api)]
    [InlineData("A GraphQL API", ProjectType.Api)]
    [InlineData("Hello there", ProjectType.Unknown)]
    [InlineData("Use Express and Postgres. No React.", ProjectType.Api)]
    [InlineData("Not a CLI. A React app", ProjectType.WebApp)]
    public void Compile_ProjectType_FirstRuleThatFires(string raw, ProjectType expected)
    {
        Assert.Equal(expected, _compiler.Compile(raw).ProjectType);
    }

    // ---- step 11: architecture

    [Theory]
    [InlineData("Use microservices", ArchitecturePattern.Microservices)]
    [InlineData("Serverless functions", ArchitecturePattern.Serverless)]
    [InlineData("Use cloud functions", ArchitecturePattern.Serverless)]
    [InlineData("An event-driven system", ArchitecturePattern.EventDriven)]
    [InlineData("Event sourcing with CQRS", ArchitecturePattern.EventDriven)]
    [InlineData("A jamstack site", ArchitecturePattern.Jamstack)]
    [InlineData("Run it on Lambda", ArchitecturePattern.Serverless)]
    [InlineData("Orders flow through Kafka", ArchitecturePattern.EventDriven)]
    [InlineData("Jobs go through a message queue", ArchitecturePattern.EventDriven)]
    [InlineData("Run it on Kubernetes", ArchitecturePattern.Microservices)]
    [InlineData("A React site on Vercel", ArchitecturePattern.Jamstack)]
    [InlineData("React and Express on Vercel", ArchitecturePattern.Monolith)]
    [InlineData("A todo app", ArchitecturePattern.Monolith)]
    [InlineData("Avoid Kubernetes", ArchitecturePattern.Monolith)]
    public void Compile_Architecture_FirstRuleThatFires(string raw, ArchitecturePattern expected)
    {
        Assert.Equal(expected, _compiler.Compile(raw).ArchitecturePattern);
    }

    // ---- step 12: complexity

    [Theory]
    [InlineData("Hello there", 0.0f)]
    [InlineData("Add a blog", 0.18f)] // 0.1 + 0.08
    [InlineData("Add chat", 0.26f)] // 0.1 + 0.08 + 2 edges · 0.04
    [InlineData("Use Redis", 0.15f)] // 0.1 + 0.05
    public void Compile_Complexity_FollowsFormula(string raw, float expected)
    {
        Assert.Equal(expected, _compiler.Compile(raw).ComplexityScore, Tolerance);
    }

    [Fact]
    public void Compile_ManyFeaturesAndTech_ComplexityCapsAtOne()
    {
        // Act
        var intent = _compiler.Compile(
            "Add chat, rbac, sso, 2fa, billing, checkout, blog, cms, search, cron with react, vue, redis, kafka, docker, aws, go");

        // Assert
        Assert.Equal(1.0f, intent.ComplexityScore);
    }

    // ---- step 13: priority

    [Fact]
    public void Compile_Priority_DecreasesWithListPosition()
    {
        // raw = 1, .8, .6, .4, .2
        var intent = _compiler.Compile("Add blog, calendar, pricing, analytics, metrics");
        Assert.Equal([1, 2, 3, 4, 5], intent.EnrichedFeatures.Select(f => f.Priority));
    }

    [Fact]
    public void Compile_Priority_RaisedByIncomingEdges()
    {
        // authentication: (1 − 1/2) + 0.2 · 1 edge (chat → authentication) = 0.7 → 2 (3 without the edge).
        var intent = _compiler.Compile("Add chat and authentication");
        Assert.Equal([1, 2], intent.EnrichedFeatures.Select(f => f.Priority));
    }

    // ---- step 14: confidence

    [Fact]
    public void Compile_Confidence_FollowsFormula()
    {
        // Act
        var plain = _compiler.Compile("Add chat").Confidence;
        var rich = _compiler.Compile("As a manager, add chat with React. Deploy it.").Confidence;
        var none = _compiler.Compile("Hello there").Confidence;

        // Assert: actors 0.3, features 1, tech 0.1, one sentence.
        Assert.Equal(0.3f, plain.Actors, Tolerance);
        Assert.Equal(1f, plain.Features, Tolerance);
        Assert.Equal(0.1f, plain.TechStack, Tolerance);
        Assert.Equal((0.2f * 0.3f) + 0.4f + (0.3f * 0.1f) + 0.05f, plain.Overall, Tolerance);

        // actors 0.9, features 1, tech 0.95, two sentences.
        Assert.Equal(0.9f, rich.Actors, Tolerance);
        Assert.Equal(0.95f, rich.TechStack, Tolerance);
        Assert.Equal((0.2f * 0.9f) + 0.4f + (0.3f * 0.95f) + 0.1f, rich.Overall, Tolerance);

        Assert.Equal(0.1f, none.Features, Tolerance);
    }

    // ---- step 15: sentence annotation

    [Fact]
    public void Compile_Sentences_AnnotatedSortedAndDeduped()
    {
        // Act
        var intent = _compiler.Compile("Use React and Postgres and react again. Add chat and auth and login.");

        // Assert
        Assert.Equal(["postgresql", "react"], intent.Sentences[0].TechFound);
        Assert.Empty(intent.Sentences[0].FeaturesFound);
        Assert.Equal(["authentication", "chat"], intent.Sentences[1].FeaturesFound);
        Assert.Empty(intent.Sentences[1].TechFound);
    }

    // ---- step 16: verification

    [Fact]
    public void Compile_NoFeatures_Warns()
    {
        // Act
        var intent = _compiler.Compile("Hello there");

        // Assert
        Assert.True(intent.Verification.WellFormed);
        Assert.Equal(["No features extracted; intent may be underspecified"], intent.Verification.Warnings);
    }

    [Fact]
    public void Compile_WithFeatures_NoWarning()
    {
        Assert.Empty(_compiler.Compile("Add a blog").Verification.Warnings);
    }

    // ---- data flows

    [Theory]
    [InlineData("REST API with websocket events", new[] { "api", "rest", "websocket", "event" })]
    [InlineData("Stream events via webhooks in real time", new[] { "real-time", "webhook", "event", "stream" })]
    [InlineData("Sync and async requests and responses through a queue", new[] { "sync", "async", "request", "response", "queue" })]
    [InlineData("A GraphQL gateway without websockets", new[] { "graphql" })]
    public void Compile_DataFlows_InListOrder(string raw, string[] flows)
    {
        Assert.Equal(flows, _compiler.Compile(raw).DataFlows);
    }
}
