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

    public static async Task<(ManagedProcess Process, string ReadyLine)> StartAsync(string name, string dll, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment, Func<string, bool> isReadyLine, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{name}: {dll} not found; build first: dotnet build GRump.Gateway.sln -c Release", dll);
        }

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
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
