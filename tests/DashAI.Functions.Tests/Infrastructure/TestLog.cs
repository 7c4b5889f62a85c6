using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>Collects log lines so tests can check what the app logged (e.g. the error id of a 500).</summary>
public sealed class TestLog : ILoggerProvider
{
    public static TestLog Provider { get; } = new();

    public ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(TestLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Entries.Enqueue((category, logLevel, formatter(state, exception), exception));
            }
        }
    }
}
