using System.Text.Json.Serialization;
using DashAI.Functions.Components;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Explainers;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;

namespace DashAI.Functions.Http;

/// <summary>
/// Compile-time JSON metadata (System.Text.Json source generation) for the API's responses and the JSON the stores
/// keep in table properties, with the API's settings: snake_case names, nulls written, enums as numbers.
/// <see cref="Hosting.DashAIServiceCollectionExtensions.ConfigureJson"/> puts it first in the API's resolver chain; a type
/// it does not list still serializes by reflection, with the same settings.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(DatasetDto))]
[JsonSerializable(typeof(IEnumerable<DatasetDto>))]
[JsonSerializable(typeof(DatasetInfoDto))]
[JsonSerializable(typeof(ExperimentDto))]
[JsonSerializable(typeof(IEnumerable<ExperimentDto>))]
[JsonSerializable(typeof(RunDto))]
[JsonSerializable(typeof(IEnumerable<RunDto>))]
[JsonSerializable(typeof(JobDto))]
[JsonSerializable(typeof(IEnumerable<JobDto>))]
[JsonSerializable(typeof(ComponentDto))]
[JsonSerializable(typeof(IEnumerable<ComponentDto>))]
[JsonSerializable(typeof(List<DatasetColumn>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, long>))]
[JsonSerializable(typeof(Dictionary<string, double?>))]
[JsonSerializable(typeof(DatasetSplits))]
[JsonSerializable(typeof(ExplainerDto))]
[JsonSerializable(typeof(IEnumerable<ExplainerDto>))]
[JsonSerializable(typeof(List<LeaderboardEntryDto>))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
