using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Tests.Infrastructure;

/// <summary>Keeps every log entry of a test host, so a test can read them and fail on unexpected errors.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentQueue<LogEntry> _unreportedErrors = new();
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

    /// <summary>Fails if the server logged an Error not reported yet; each one is reported once.</summary>
    public void AssertNoErrors()
    {
        var errors = new List<LogEntry>();
        while (_unreportedErrors.TryDequeue(out var error))
        {
            errors.Add(error);
        }
        Assert.True(errors.Count == 0, "The server logged unexpected errors:\n" + string.Join("\n", errors));
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
