using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.E2ETests.Infrastructure;

/// <summary>
/// Collects the harness's and worker's logs for one fixture: written to a file next to the test binaries and kept
/// in memory so a failing assertion can show what the worker said.
/// </summary>
public sealed class HarnessLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter _file;
    private readonly Lock _gate = new();

    public HarnessLog(string name)
    {
        FilePath = Path.Combine(AppContext.BaseDirectory, "logs", $"{name}.log");
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        _file = new StreamWriter(FilePath, append: false) { AutoFlush = true };
        Factory = LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.AddFilter("Worker.Microsoft.AspNetCore.Mvc", LogLevel.Warning);
            logging.AddFilter("Worker.Microsoft.AspNetCore.Routing", LogLevel.Warning);
            logging.AddFilter("Worker.Microsoft.AspNetCore.DataProtection", LogLevel.Warning);
            logging.AddFilter("Worker.Azure", LogLevel.Warning);
            logging.AddProvider(this);
        });
    }

    public string FilePath { get; }

    public ILoggerFactory Factory { get; }

    /// <summary>The last lines, for assertion messages.</summary>
    public string Tail(int count = 40) =>
        $"--- last harness/worker log lines (full log: {FilePath}) ---{Environment.NewLine}" +
        string.Join(Environment.NewLine, _lines.TakeLast(count));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        Factory.Dispose();
        lock (_gate)
        {
            _file.Dispose();
        }
    }

    private void Write(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > 2000 && _lines.TryDequeue(out _))
        {
        }

        lock (_gate)
        {
            try
            {
                _file.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Late worker output after the fixture stopped.
            }
        }
    }

    private sealed class Logger(HarnessLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {formatter(state, exception)}";
            log.Write(exception is null ? line : $"{line}{Environment.NewLine}{exception}");
        }
    }
}
