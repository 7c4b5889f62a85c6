namespace DashAI.Functions.Tests.Deployment;

/// <summary>The Bicep reader the deployment tests rely on, on layouts the real template does not happen to use.</summary>
public sealed class BicepSourceTests
{
    [Fact]
    public void AppSettingsAreReadWhateverTheLayoutCommentsAndQuoting()
    {
        const string text = """
            // a comment with appsettings: { Fake: 1 }
            resource site 'Microsoft.Web/sites@2025-03-01' existing = { name: 'app' }
            resource settings 'Microsoft.Web/sites/config@2025-03-01' = {
              parent: site
              name: 'appsettings'
              properties: { A__b: 'x', 'C-d': cond ? 'y' : 'z'
                /* block
                   comment */
                E: '${site.properties.defaultHostName}/{not-a-brace'
                F: concat(['a'], [
                  'b'
                ])
              }
            }
            """;

        var settings = BicepSource.Parse(text).AppSettings();

        Assert.Equal(["A__b", "C-d", "E", "F"], settings.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("'x'", settings["A__b"]);
    }

    [Fact]
    public void AppSettingsAreReadFromNestedConfigResourcesAndSiteConfigArrays()
    {
        const string text = """
            resource site 'Microsoft.Web/sites@2025-03-01' = {
              name: 'app'
              properties: {
                siteConfig: {
                  appSettings: [
                    { name: 'FromArray', value: 'v' }
                  ]
                }
              }

              resource settings 'config' = {
                name: 'appsettings'
                properties: {
                  FromNested: 'w'
                }
              }
            }
            """;

        var settings = BicepSource.Parse(text).AppSettings();

        Assert.Equal(["FromArray", "FromNested"], settings.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AppSettingsThatAreNotALiteralObjectAreReportedRatherThanGuessed()
    {
        const string text = """
            resource settings 'Microsoft.Web/sites/config@2025-03-01' = {
              name: 'appsettings'
              properties: union(common, { Extra: 'x' })
            }
            """;

        var error = Assert.Throws<InvalidOperationException>(() => BicepSource.Parse(text).AppSettings());
        Assert.Contains("literal object", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParametersAreListedWithWhetherTheyHaveADefault()
    {
        const string text = """
            targetScope = 'subscription'
            @description('Needed.')
            param required string
            @allowed([
              1
              2
            ])
            param optional int = 1
            param typed { *: string } = {}
            """;

        var parameters = BicepSource.Parse(text).Parameters();

        Assert.Equal([("required", false), ("optional", true), ("typed", true)], parameters);
    }
}
