using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Tests.Infrastructure;

/// <summary>Keeps every log entry of a test host, so a test can read them and fail on unexpected errors.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentQueue<LogEntry> _unreportedErrors = new();
    private readonly ConcurrentQueue<LogEntry> _unreportedStacks = new();
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Done)> _waiters = [];

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(categoryName, this);

    /// <summary>The first entry (already logged or still to come) that matches, bounded by the default test timeout.</summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((match, done));
            if (_entries.FirstOrDefault(match) is { } logged)
            {
                done.TrySetResult(logged);
            }
        }
        return done.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
    }

    private void Add(LogEntry entry)
    {
        _entries.Enqueue(entry);
        if (entry.Level >= LogLevel.Error)
        {
            _unreportedErrors.Enqueue(entry);
        }
        else if (entry.Level >= LogLevel.Information && entry.Exception is not null)
        {
            _unreportedStacks.Enqueue(entry);
        }
        lock (_waiters)
        {
            foreach (var (match, done) in _waiters)
            {
                if (!done.Task.IsCompleted && match(entry))
                {
                    done.TrySetResult(entry);
                }
            }
        }
    }

    public void Dispose()
    {
    }

    /// <summary>
    /// Holds the logging policy (docs/logging.md): fails if the server logged an Error, or an Information or Warning
    /// line with a stack trace, not reported yet; each one is reported once. Tests that provoke an Error on purpose
    /// opt out (<see cref="GatewayApp.FailOnLoggedErrors"/>).
    /// </summary>
    public void AssertNoErrors()
    {
        var errors = new List<LogEntry>();
        while (_unreportedErrors.TryDequeue(out var error))
        {
            errors.Add(error);
        }
        var stacks = new List<LogEntry>();
        while (_unreportedStacks.TryDequeue(out var stack))
        {
            stacks.Add(stack);
        }
        Assert.True(errors.Count == 0, "The server logged unexpected errors:\n" + string.Join("\n", errors));
        Assert.True(stacks.Count == 0, "The server logged a stack trace below Error (docs/logging.md: known failures are one line):\n" + string.Join("\n", stacks));
    }

    public sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception)
    {
        public override string ToString() => $"{Level} {Category}: {Message} {Exception}";
    }

    private sealed class RecordingLogger(string category, RecordingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Add(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }
}
