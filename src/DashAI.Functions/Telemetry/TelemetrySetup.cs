using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DashAI.Functions.Telemetry;

/// <summary>
/// OpenTelemetry for the worker: the Functions invocation spans plus <see cref="DashAITelemetry"/>'s spans and
/// metrics, and logs with their scopes (run, job and dataset ids). They go to Azure Monitor when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, authenticated with the app's managed identity (the
/// component accepts no key) — or, on a developer machine (<c>AZURE_FUNCTIONS_ENVIRONMENT=Development</c>, set by
/// Core Tools and the local host), with the Azure CLI sign-in; otherwise nothing is exported.
/// </summary>
public static class TelemetrySetup
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>Registers the providers; returns the builder so tests can add their own exporters.</summary>
    public static IOpenTelemetryBuilder AddDashAITelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var builder = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddSource(DashAITelemetry.Name))
            .WithMetrics(metrics => metrics.AddMeter(DashAITelemetry.Name))
            .WithLogging(configureBuilder: null, configureOptions: options => options.IncludeScopes = true);

        if (configuration[ConnectionStringSetting] is { Length: > 0 } connectionString)
        {
            builder.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                options.Credential = configuration["AZURE_FUNCTIONS_ENVIRONMENT"] == "Development"
                    ? new AzureCliCredential()
                    : Credential(configuration[AuthenticationStringSetting]);
            });
        }

        return builder;
    }

    /// <summary>
    /// The managed identity named by <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> (<c>ClientId=…;Authorization=AAD</c>,
    /// the same setting the Functions host reads), or the system-assigned identity when it names none.
    /// </summary>
    public static TokenCredential Credential(string? authenticationString)
    {
        var clientId = (authenticationString ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair.Length == 2 && pair[0].Equals("ClientId", StringComparison.OrdinalIgnoreCase))
            .Select(pair => pair[1])
            .FirstOrDefault();
        return clientId is { Length: > 0 }
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
    }
}
