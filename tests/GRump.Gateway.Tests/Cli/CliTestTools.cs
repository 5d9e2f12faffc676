using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GRump.Gateway.Tests.Cli;

/// <summary>A fake clock that also records the delay of every timer created on it (the CLI's retry waits).</summary>
internal sealed class RecordingTimeProvider : FakeTimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<TimeSpan> _delays = [];

    public IReadOnlyList<TimeSpan> Delays
    {
        get
        {
            lock (_lock)
            {
                return [.. _delays];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (_lock)
            {
                _delays.Add(dueTime);
            }
        }
        return base.CreateTimer(callback, state, dueTime, period);
    }
}

/// <summary>A string writer that completes a task once its text contains a given string (a signal, not a sleep).</summary>
internal sealed class SignalingWriter : StringWriter
{
    private readonly Lock _lock = new();
    private readonly List<(string Text, TaskCompletionSource Signal)> _waiters = [];

    public Task WaitForAsync(string text)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (ToString().Contains(text, StringComparison.Ordinal))
            {
                return Task.CompletedTask;
            }
            _waiters.Add((text, signal));
        }
        return signal.Task;
    }

    public override void Write(char value)
    {
        lock (_lock)
        {
            base.Write(value);
            Notify();
        }
    }

    public override void Write(string? value)
    {
        lock (_lock)
        {
            base.Write(value);
            Notify();
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_lock)
        {
            base.Write(buffer, index, count);
            Notify();
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_lock)
        {
            base.Write(value + NewLine);
            Notify();
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return GetStringBuilder().ToString();
        }
    }

    private void Notify()
    {
        var text = GetStringBuilder().ToString();
        _waiters.RemoveAll(w =>
        {
            if (!text.Contains(w.Text, StringComparison.Ordinal))
            {
                return false;
            }
            w.Signal.TrySetResult();
            return true;
        });
    }
}

/// <summary>An h2c server that answers every gRPC call with the next HTTP status from a script (a proxy in front of the gateway).</summary>
internal sealed class ScriptedHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _hits;

    private ScriptedHttpServer(WebApplication app) => _app = app;

    public int Hits => Volatile.Read(ref _hits);

    public Uri Url { get; private set; } = null!;

    public static async Task<ScriptedHttpServer> StartAsync(int status)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var server = new ScriptedHttpServer(app);
        app.Run(async context =>
        {
            Interlocked.Increment(ref server._hits);
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/plain";
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"status {status} from a proxy"));
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
