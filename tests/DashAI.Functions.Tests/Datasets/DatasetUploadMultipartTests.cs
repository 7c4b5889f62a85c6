using System.Net.Http.Headers;
using System.Text;
using DashAI.Functions.Datasets;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Datasets;

/// <summary>
/// The multipart shapes real clients send. Found through the host harness: a file part with a filename (what curl,
/// browsers and HttpClient send) was rejected as "not a form-data part".
/// </summary>
public sealed class DatasetUploadMultipartTests : IAsyncDisposable
{
    private readonly TestApp _app = TestApp.Create();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task UploadAcceptsAFilePartWithAFileNameAsClientsSendIt()
    {
        const string parameters = """
            {"task_name":"TabularClassificationTask","dataloader":"CSVDataLoader","dataset_name":"iris-multipart","outputs_columns":[],
             "splits":{"train_size":0.8,"test_size":0.1,"val_size":0.1,"seed":42,"shuffle":true,"stratify":false},
             "dataloader_params":{"separator":","}}
            """;
        var csv = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width,species\n");
        var species = new[] { "setosa", "versicolor", "virginica" };
        for (var i = 0; i < 60; i++)
        {
            csv.Append(FormattableString.Invariant($"{4 + (i % 7) * 0.3},{2 + (i % 5) * 0.2},{1 + (i % 9) * 0.5},{0.1 + (i % 4) * 0.4},{species[i % 3]}\n"));
        }

        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(parameters, Encoding.UTF8, "application/json"), "params");
        var file = new StringContent(csv.ToString(), Encoding.UTF8);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "iris.csv");
        var body = await form.ReadAsStringAsync();
        var request = _app.Request("POST", body: body, contentType: form.Headers.ContentType!.ToString());

        var response = await _app.Invoke(request, _app.Function<DatasetUploadFunction>().Create);

        response.AssertStatus(201);
        Assert.Equal("iris-multipart", response.Json["name"]!.GetValue<string>());
    }
}
