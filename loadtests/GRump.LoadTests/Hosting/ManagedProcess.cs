using System.Diagnostics;

namespace GRump.LoadTests.Hosting;

/// <summary>
/// A child process (<c>dotnet &lt;dll&gt;</c>) the runner started: its output is drained continuously (a full pipe would
/// stall it), the first line that says it listens is awaited, and the last lines are kept for error messages.
/// Disposing kills it.
/// </summary>
internal sealed class ManagedProcess : IDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<string, bool> _isReadyLine;
    private readonly List<string> _errorLines = [];
    private int _errorCount;
    private int _stackFrames;

    private ManagedProcess(string name, Process process, Func<string, bool> isReadyLine)
    {
        Name = name;
        _process = process;
        _isReadyLine = isReadyLine;
    }

    public string Name { get; }

    /// <summary>Every output line (stdout and stderr) after start, on the reader's thread: keep handlers short.</summary>
    public event Action<string>? LineReceived;

    public int Pid => _process.Id;

    /// <summary>Lines the process logged at Error or Critical (the console logger's <c>fail:</c> and <c>crit:</c>), with the first few.</summary>
    public (int Count, IReadOnlyList<string> First) ErrorLines
    {
        get
        {
            lock (_tail)
            {
                return (_errorCount, [.. _errorLines]);
            }
        }
    }

    /// <summary>Stack-trace lines (<c>   at …</c>) in the output: any logged exception, whatever its level.</summary>
    public int StackFrames => Volatile.Read(ref _stackFrames);

    public static Task<(ManagedProcess Process, string ReadyLine)> StartAsync(string name, string dll, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment, Func<string, bool> isReadyLine, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{name}: {dll} not found; build first: dotnet build GRump.Gateway.sln -c Release", dll);
        }

        return StartProgramAsync(name, "dotnet", [dll, .. arguments], Path.GetDirectoryName(dll)!, environment, isReadyLine, timeout, cancellationToken);
    }

    /// <summary>Starts any program (redis-server, haproxy, <c>dotnet</c>) and waits for its ready line.</summary>
    public static async Task<(ManagedProcess Process, string ReadyLine)> StartProgramAsync(string name, string program, IEnumerable<string> arguments,
        string workingDirectory, IReadOnlyDictionary<string, string> environment, Func<string, bool> isReadyLine, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var managed = new ManagedProcess(name, process, isReadyLine);
        process.OutputDataReceived += (_, e) => managed.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => managed.OnLine(e.Data);
        process.Exited += (_, _) => managed._ready.TrySetException(new InvalidOperationException($"{name} exited before it listened:{Environment.NewLine}{managed.Tail()}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var line = await managed._ready.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return (managed, line);
        }
        catch
        {
            managed.Dispose();
            throw;
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Sends a POSIX signal by name (TERM, KILL, ...) with kill(1): .NET itself only sends SIGKILL.</summary>
    public async Task SignalAsync(string signal, CancellationToken cancellationToken)
    {
        using var kill = Process.Start("kill", ["-" + signal, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for the process to exit, at most <paramref name="timeout"/>; false when it is still running.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public string Tail()
    {
        lock (_tail)
        {
            return string.Join(Environment.NewLine, _tail);
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > 40)
            {
                _tail.Dequeue();
            }
            if (line.StartsWith("fail: ", StringComparison.Ordinal) || line.StartsWith("crit: ", StringComparison.Ordinal))
            {
                _errorCount++;
                if (_errorLines.Count < 10)
                {
                    _errorLines.Add(line);
                }
            }
            else if (line.Length > 0 && char.IsWhiteSpace(line[0]) && line.TrimStart().StartsWith("at ", StringComparison.Ordinal))
            {
                _stackFrames++;
            }
        }

        if (!_ready.Task.IsCompleted && _isReadyLine(line))
        {
            _ready.TrySetResult(line);
        }

        LineReceived?.Invoke(line);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        _process.Dispose();
    }
}
