using System.Reflection;
using Microsoft.ML.Trainers.LightGbm;

namespace DashAI.ML.Training;

/// <summary>
/// Sets LightGBM parameters that ML.NET's options do not expose. ML.NET's LightGBM trainers keep the
/// parameters they hand to the native library in a non-public dictionary (<c>GbmOptions</c>, built from the
/// options when the trainer is created and read when it fits); a value added there reaches LightGBM as it is.
/// The field is found by reflection and the lookup fails loudly if a future ML.NET renames it.
/// </summary>
internal static class LightGbmNativeParameters
{
    private const string FieldName = "GbmOptions";

    /// <summary>
    /// Sets LightGBM's <c>min_data_in_bin</c> (rows a histogram bin must hold; LightGBM's default is 3) on
    /// <paramref name="trainer"/> and returns it.
    /// </summary>
    public static TTrainer WithMinimumDataInBin<TTrainer>(this TTrainer trainer, int rows)
        where TTrainer : class
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        Parameters(trainer)["min_data_in_bin"] = rows;
        return trainer;
    }

    /// <summary>The parameter dictionary of a LightGBM trainer (what the native library receives when it fits).</summary>
    private static Dictionary<string, object> Parameters(object trainer)
    {
        for (var type = trainer.GetType(); type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(LightGbmTrainerBase<,,,>))
            {
                var field = type.GetField(FieldName, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
                    ?? throw new MissingFieldException(type.Name, FieldName);
                return field.GetValue(trainer) as Dictionary<string, object>
                    ?? throw new MissingFieldException(type.Name, $"{FieldName} (Dictionary<string, object>)");
            }
        }

        throw new ArgumentException($"{trainer.GetType().Name} is not an ML.NET LightGBM trainer.", nameof(trainer));
    }
}
