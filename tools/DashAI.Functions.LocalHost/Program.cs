using System.Runtime.InteropServices;
using DashAI.Functions.LocalHost;
using Microsoft.Extensions.Logging;

// dotnet run --project tools/DashAI.Functions.LocalHost -- --app <worker dll or folder> [--port 7071]
//     [--storage "<connection string>"] [--setting KEY=VALUE]... [--verbose]
// Serves the app until Ctrl+C.
string? app = null;
var port = 7071;
var storage = "UseDevelopmentStorage=true";
var verbose = false;
var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--app":
            app = Next();
            break;
        case "--port":
            port = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture);
            break;
        case "--storage":
            storage = Next();
            break;
        case "--setting":
            var pair = Next();
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"--setting expects KEY=VALUE, got '{pair}'");
            }

            settings[pair[..equals]] = pair[(equals + 1)..];
            break;
        case "--verbose":
            verbose = true;
            break;
        case "-h" or "--help":
            Console.WriteLine("usage: DashAI.Functions.LocalHost --app <worker dll or build folder> [--port 7071] [--storage <connection string>] [--setting KEY=VALUE]... [--verbose]");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}' (try --help)");
            return 2;
    }
}

if (app is null)
{
    Console.Error.WriteLine("--app is required: the built function app (e.g. src/DashAI.Functions/bin/Release/net10.0).");
    return 2;
}

using var loggerFactory = LoggerFactory.Create(logging =>
{
    logging.AddSimpleConsole(console =>
    {
        console.SingleLine = true;
        console.TimestampFormat = "HH:mm:ss ";
    });
    logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
    if (!verbose)
    {
        logging.AddFilter("Worker.Process", LogLevel.Warning);
        logging.AddFilter("Worker.Microsoft", LogLevel.Warning);
    }
});

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

await using var harness = await FunctionsHostHarness.StartAsync(new HarnessOptions
{
    AppPath = app,
    StorageConnectionString = storage,
    HttpPort = port,
    AppSettings = settings,
    LoggerFactory = loggerFactory,
}, stop.Token);

Console.WriteLine();
Console.WriteLine("Functions:");
foreach (var function in harness.Functions)
{
    Console.WriteLine($"  {function}");
}

Console.WriteLine();
foreach (var route in harness.HttpRoutes)
{
    Console.WriteLine($"  {route}");
}

Console.WriteLine();
Console.WriteLine($"Now listening on: {harness.BaseAddress}");
Console.WriteLine("Press Ctrl+C to stop.");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // Ctrl+C.
}

Console.WriteLine("Stopping...");
return 0;
