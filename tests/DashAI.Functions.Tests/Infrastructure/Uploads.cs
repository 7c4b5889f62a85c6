using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>Builds multipart dataset uploads the way a browser or curl sends them.</summary>
public static class Uploads
{
    public static object Params(
        string name,
        string task = "TabularClassificationTask",
        string dataloader = "CSVDataLoader",
        string[]? outputs = null,
        object? splits = null,
        object? dataloaderParams = null) => new
        {
            task_name = task,
            dataloader,
            dataset_name = name,
            outputs_columns = outputs ?? [],
            splits_in_folders = false,
            splits = splits ?? new { train_size = 0.8, test_size = 0.1, val_size = 0.1, seed = 42, shuffle = true, stratify = false },
            dataloader_params = dataloaderParams ?? new { separator = "," },
        };

    public static async Task<HttpRequest> Request(
        TestApp app,
        object? parameters,
        byte[]? file = null,
        string fileName = "data.csv",
        string? fileContentType = "text/csv",
        string? url = null,
        Stream? fileStream = null)
    {
        var content = new MultipartFormDataContent();
        if (parameters is not null)
        {
            content.Add(new StringContent(parameters as string ?? JsonSerializer.Serialize(parameters), Encoding.UTF8), "params");
        }

        if (file is not null || fileStream is not null)
        {
            HttpContent part = fileStream is not null ? new StreamContent(fileStream) : new ByteArrayContent(file!);
            if (fileContentType is not null)
            {
                part.Headers.ContentType = MediaTypeHeaderValue.Parse(fileContentType);
            }

            content.Add(part, "file", fileName);
        }

        if (url is not null)
        {
            content.Add(new StringContent(url), "url");
        }

        var request = app.Request("POST");
        request.ContentType = content.Headers.ContentType!.ToString();
        if (fileStream is null)
        {
            var bytes = await content.ReadAsByteArrayAsync();
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
        }
        else
        {
            // Streamed, never buffered whole: proves the upload path streams too.
            request.Body = await content.ReadAsStreamAsync();
        }

        return request;
    }

    public static byte[] SharedFile(string name) => File.ReadAllBytes(RepoPaths.Sample(name));
}
