namespace DashAI.Functions.Tests.Deployment;

/// <summary>The compiled-template reader the deployment tests rely on, on layouts the real template does not happen to use.</summary>
public sealed class ArmTemplateTests
{
    [Fact]
    public void AppSettingsAreReadWhateverTheLayoutCommentsAndQuoting()
    {
        const string text = """
            param cond bool = true

            // a comment with appsettings: { Fake: 1 }
            resource site 'Microsoft.Web/sites@2025-03-01' existing = { name: 'app' }
            resource settings 'Microsoft.Web/sites/config@2025-03-01' = {
              parent: site
              name: 'appsettings'
              properties: { A__b: 'x', 'C-d': cond ? 'y' : 'z'
                /* block
                   comment */
                E: '${site.properties.defaultHostName}/{not-a-brace'
                F: join(concat(['a'], [
                  'b'
                ]), ',')
              }
            }
            """;

        var settings = ArmTemplate.FromBicep(text).AppSettings();

        Assert.Equal(["A__b", "C-d", "E", "F"], settings.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("x", settings["A__b"]);
        Assert.Equal("[if(parameters('cond'), 'y', 'z')]", settings["C-d"]);
    }

    [Fact]
    public void AppSettingsAreReadFromNestedConfigResourcesAndSiteConfigArrays()
    {
        const string text = """
            resource site 'Microsoft.Web/sites@2025-03-01' = {
              name: 'app'
              location: 'westeurope'
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

        var settings = ArmTemplate.FromBicep(text).AppSettings();

        Assert.Equal(["FromArray", "FromNested"], settings.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("v", settings["FromArray"]);
        Assert.Equal("w", settings["FromNested"]);
    }

    [Fact]
    public void AppSettingsThatAreNotALiteralObjectAreReportedRatherThanGuessed()
    {
        const string text = """
            var common = { Base: 'b' }
            resource site 'Microsoft.Web/sites@2025-03-01' existing = { name: 'app' }
            resource settings 'Microsoft.Web/sites/config@2025-03-01' = {
              parent: site
              name: 'appsettings'
              properties: union(common, { Extra: 'x' })
            }
            """;

        var template = ArmTemplate.FromBicep(text);

        var error = Assert.Throws<InvalidOperationException>(() => template.AppSettings());
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
            output echo string = '${required}${optional}${length(typed)}'
            """;

        var parameters = ArmTemplate.FromBicep(text).Parameters();

        Assert.Equal([("required", false), ("optional", true), ("typed", true)], parameters);
    }

    [Fact]
    public void StringLiteralsIncludeTheQuotedOnesInsideExpressions()
    {
        const string text = """
            param prefix string = ''
            var queues = [
              concat(prefix, 'jobs')
              concat(prefix, 'it\'s')
              'plain'
            ]
            output names array = queues
            """;

        var literals = ArmTemplate.FromBicep(text).StringLiterals().ToList();

        Assert.Contains("jobs", literals);
        Assert.Contains("it's", literals);
        Assert.Contains("plain", literals);
    }
}
