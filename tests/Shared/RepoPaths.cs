namespace DashAI.Testing;

/// <summary>
/// The one place tests and benchmarks find files of the repository: its root (the folder holding
/// DashAI.Functions.sln), the reference datasets in <c>samples/</c>, and build outputs. Nothing here looks
/// outside the repository, and a missing file is an error, never a reason to skip.
/// </summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The reference datasets (iris, wine, breast_cancer, digits, diabetes, package_sections).</summary>
    public static string Samples => Path.Combine(Root, "samples");

    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public static string FunctionsOutput => Output("src/DashAI.Functions");

    /// <summary>The path of a reference dataset, e.g. <c>Sample("iris.csv")</c>; throws when it is not there.</summary>
    public static string Sample(string fileName)
    {
        var path = Path.Combine(Samples, fileName);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Reference dataset '{fileName}' is missing from {Samples}.", path);
    }

    /// <summary>The build output of a project of this repository, in the configuration the tests were built in.</summary>
    public static string Output(string projectDirectory) => Path.Combine(Root, projectDirectory, "bin", Configuration, "net10.0");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DashAI.Functions.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Cannot find DashAI.Functions.sln above the test binaries.");
    }
}
