using System.Text.Json;
using System.Text.Json.Serialization;
using DashAI.Functions.Storage;
using DashAI.Functions.Telemetry;
using DashAI.Functions.Training;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DashAI.Functions.Hosting;

public static class DashAIServiceCollectionExtensions
{
    /// <summary>Registers everything the app needs; Program.cs and the tests both build their container with it.</summary>
    public static IServiceCollection AddDashAI(this IServiceCollection services, IConfiguration configuration)
    {
        // Options bind from the container's IConfiguration; the Functions host registers one, other hosts (tests, benchmarks) may not.
        services.TryAddSingleton(configuration);
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName);
        services.AddOptions<DashAI.Functions.Datasets.DatasetOptions>().BindConfiguration(DashAI.Functions.Datasets.DatasetOptions.SectionName)
            .Validate(o => o.MaxUploadBytes > 0, "DashAI:Datasets:MaxUploadBytes must be positive.");

        // The worker's own server (ASP.NET Core integration) caps bodies at ~28.6 MiB by default, before any function
        // runs; lift it to the largest dataset form so that our limit (a 413 problem document) is the one that applies.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<DashAI.Functions.Datasets.DatasetOptions>>(
            (kestrel, datasets) => kestrel.Limits.MaxRequestBodySize = DashAI.Functions.Datasets.DatasetUploadFunction.MaxRequestBytes(datasets.Value.MaxUploadBytes));

        services.TryAddSingletonTimeProvider();
        services.AddSingleton(new StorageClients(configuration));
        services.AddSingleton(sp => sp.GetRequiredService<StorageClients>().CreateTableServiceClient());
        services.AddSingleton(sp => sp.GetRequiredService<StorageClients>().CreateBlobServiceClient());
        services.AddSingleton(sp => sp.GetRequiredService<StorageClients>().CreateQueueServiceClient());
        services.AddSingleton(sp => new StorageNames(sp.GetRequiredService<IOptions<StorageOptions>>().Value.NamePrefix));
        services.AddSingleton<StorageContext>();
        services.AddSingleton<Stores>();
        services.AddSingleton<DashAI.Functions.Runs.RunFiles>();
        services.AddSingleton<DashAI.Functions.Datasets.IUrlAddressPolicy, DashAI.Functions.Datasets.PublicAddressPolicy>();
        services.AddSingleton<DashAI.Functions.Datasets.UrlDownloader>();

        services.AddOptions<TrainingOptions>().BindConfiguration(TrainingOptions.SectionName)
            .Validate(o => o.HeartbeatSeconds > 0 && o.StaleAfterSeconds > 2 * o.HeartbeatSeconds,
                "DashAI:Training:StaleAfterSeconds must be more than two heartbeats.");
        services.AddSingleton<DashAI.Functions.Jobs.JobWorker>();
        services.AddSingleton<DashAI.Functions.Jobs.IJobHandler, TrainingJobHandler>();
        // Hyperparameter search: trials are jobs of type 3 on the same worker.
        services.AddSingleton<DashAI.Functions.Search.SearchCoordinator>();
        services.AddSingleton<DashAI.Functions.Jobs.IJobHandler, DashAI.Functions.Search.TrialJobHandler>();
        services.AddSingleton<IRunTrainer, MlNetRunTrainer>();
        services.AddSingleton<TrainingWarmUpService>();
        services.AddHostedService(sp => sp.GetRequiredService<TrainingWarmUpService>());

        // Predictions (#14): options, the per-instance model cache, and the batch job type.
        services.AddOptions<DashAI.Functions.Predictions.PredictionOptions>().BindConfiguration(DashAI.Functions.Predictions.PredictionOptions.SectionName);
        services.AddSingleton<DashAI.Functions.Predictions.PredictionModels>();
        services.AddSingleton<DashAI.Functions.Jobs.IJobHandler, DashAI.Functions.Predictions.PredictionJobHandler>();
        // Explainers (issue 15): job type 2 on the shared worker; their files go with their run.
        services.AddSingleton<DashAI.Functions.Jobs.IJobHandler, DashAI.Functions.Explainers.ExplainJobHandler>();
        services.AddSingleton<DashAI.Functions.Explainers.ExplainerFiles>();

        services.ConfigureHttpJsonOptions(options => ConfigureJson(options.SerializerOptions));
        services.AddDashAITelemetry(configuration);
        return services;
    }

    /// <summary>The API's JSON: snake_case names, nulls written, enums as numbers (thesis status codes).</summary>
    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        if (!options.TypeInfoResolverChain.Contains(DashAI.Functions.Http.ApiJsonContext.Default))
        {
            // Generated metadata first; reflection after it for any type the context does not list.
            if (options.TypeInfoResolverChain.Count == 0)
            {
                options.TypeInfoResolverChain.Add(new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver());
            }

            options.TypeInfoResolverChain.Insert(0, DashAI.Functions.Http.ApiJsonContext.Default);
        }
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
