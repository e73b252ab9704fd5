using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace Engram.Mcp.Tests
{
    /// <summary>The server's standard output, read raw: every line is a JSON-RPC 2.0 message, whatever the input; logs go
    /// to standard error; closing standard input ends the process.</summary>
    public sealed class RawStdioTests : IDisposable
    {
        private readonly TempDir _dir = new TempDir();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public async Task Stdout_CarriesOnlyJsonRpc_AndClosingStdinEndsTheServer()
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = new UTF8Encoding(false),
                StandardErrorEncoding = new UTF8Encoding(false),
            };
            foreach (var a in new[] { ServerProcess.ServerDll, "--store", _dir.Store, "--log-level", "Trace" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var stdin = p.StandardInput;
            stdin.AutoFlush = true;
            stdin.NewLine = "\n";

            var lines = new List<string>();
            async Task<JsonElement> Request(int id, string method, object? parameters)
            {
                var message = JsonSerializer.Serialize(new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
                await stdin.WriteLineAsync(message);
                while (true)
                {
                    var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                    Assert.True(line != null, "the server closed its output before answering " + method);
                    lines.Add(line!);
                    var doc = JsonDocument.Parse(line!).RootElement; // every line parses as JSON
                    if (doc.TryGetProperty("id", out var rid) && rid.ValueKind == JsonValueKind.Number && rid.GetInt32() == id) return doc;
                }
            }

            var init = await Request(1, "initialize", new
            {
                protocolVersion = "2025-06-18", capabilities = new { }, clientInfo = new { name = "raw-client", version = "0.1" },
            });
            Assert.Equal("engram", init.GetProperty("result").GetProperty("serverInfo").GetProperty("name").GetString());
            await stdin.WriteLineAsync("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            await stdin.WriteLineAsync("this is not json");                                    // garbage in: no garbage out
            await stdin.WriteLineAsync("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/unknown\"}");
            var list = await Request(2, "tools/list", new { });
            Assert.Equal(12, list.GetProperty("result").GetProperty("tools").GetArrayLength());

            JsonElement Call(JsonElement response) => response.GetProperty("result");
            var put = Call(await Request(3, "tools/call", new { name = "engram_put", arguments = new { @namespace = "shared", key = "k", value = new { a = 1 }, reason = "raw" } }));
            Assert.False(put.TryGetProperty("isError", out var e1) && e1.GetBoolean());
            Assert.Equal("raw-client/0.1", put.GetProperty("structuredContent").GetProperty("entry").GetProperty("actor").GetString());
            var bad = Call(await Request(4, "tools/call", new { name = "engram_put", arguments = new { @namespace = "_x", key = "k", value = 1 } }));
            Assert.True(bad.GetProperty("isError").GetBoolean());
            Assert.Equal("ReservedNamespace", bad.GetProperty("structuredContent").GetProperty("error").GetProperty("id").GetString());
            var missingArg = await Request(5, "tools/call", new { name = "engram_put", arguments = new { @namespace = "shared", key = "k" } });
            Assert.True(missingArg.TryGetProperty("error", out _) || Call(missingArg).GetProperty("isError").GetBoolean());
            var wrongType = await Request(6, "tools/call", new { name = "engram_get", arguments = new { @namespace = "shared", key = "k", version = "three" } });
            Assert.True(wrongType.TryGetProperty("error", out _) || Call(wrongType).GetProperty("isError").GetBoolean());
            var unknownTool = await Request(7, "tools/call", new { name = "no_such_tool", arguments = new { } });
            Assert.True(unknownTool.TryGetProperty("error", out _) || Call(unknownTool).GetProperty("isError").GetBoolean());
            var unknownMethod = await Request(8, "no/such/method", new { });
            Assert.True(unknownMethod.TryGetProperty("error", out _));
            var mem = Call(await Request(9, "tools/call", new { name = "memory", arguments = new { command = "view", path = "/memories" } }));
            Assert.StartsWith("Here're the files and directories", mem.GetProperty("content")[0].GetProperty("text").GetString());
            var get = Call(await Request(10, "tools/call", new { name = "engram_get", arguments = new { @namespace = "shared", key = "k" } }));
            Assert.Equal(1, get.GetProperty("structuredContent").GetProperty("value").GetProperty("a").GetInt32());

            stdin.Close(); // end of input: the server stops by itself
            var rest = await p.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            lines.AddRange(rest.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, p.ExitCode);

            Assert.NotEmpty(lines);
            foreach (var line in lines)
            {
                var m = JsonDocument.Parse(line).RootElement;
                Assert.Equal(JsonValueKind.Object, m.ValueKind);
                Assert.Equal("2.0", m.GetProperty("jsonrpc").GetString());
                Assert.True(m.TryGetProperty("result", out _) || m.TryGetProperty("error", out _) || m.TryGetProperty("method", out _), line);
            }
            var log = await stderr;
            Assert.Contains("Serving the Engram store", log); // logs exist, and went to stderr
        }

        [Fact]
        public async Task BadCommandLine_ExitsWithUsageOnStderr_AndNothingOnStdout()
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            psi.ArgumentList.Add(ServerProcess.ServerDll);
            psi.ArgumentList.Add("--bogus");
            using var p = Process.Start(psi)!;
            var output = await p.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var error = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.Equal(2, p.ExitCode);
            Assert.Equal("", output);
            Assert.Contains("usage: engram-mcp", error);
        }
    }
}
