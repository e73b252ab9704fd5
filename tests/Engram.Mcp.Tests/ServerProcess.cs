using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Threading.Tasks;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Engram.Mcp.Tests
{
    /// <summary>Finds the built server and connects the SDK's client to a fresh server process over stdio.</summary>
    public static class ServerProcess
    {
        /// <summary>src/Engram.Mcp/bin/&lt;this configuration&gt;/net10.0/engram-mcp.dll.</summary>
        public static string ServerDll
        {
            get
            {
                var config = typeof(ServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
                var dir = new DirectoryInfo(AppContext.BaseDirectory);
                while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Engram.PowerShell.sln"))) dir = dir.Parent;
                Assert.True(dir != null, "repository root not found above " + AppContext.BaseDirectory);
                var dll = Path.Combine(dir!.FullName, "src", "Engram.Mcp", "bin", config, "net10.0", "engram-mcp.dll");
                Assert.True(File.Exists(dll), "build the server first: " + dll);
                return dll;
            }
        }

        public static Task<McpClient> Connect(string store, string clientName = "test-agent", string clientVersion = "2.5", string? actor = null, List<string>? stderr = null)
        {
            var args = new List<string> { ServerDll, "--store", store };
            if (actor != null) args.AddRange(new[] { "--actor", actor });
            var transport = new StdioClientTransport(new StdioClientTransportOptions
            {
                Name = "engram-mcp",
                Command = "dotnet",
                Arguments = args,
                StandardErrorLines = line => { if (stderr != null) lock (stderr) stderr.Add(line); },
            });
            return McpClient.CreateAsync(transport, new McpClientOptions
            {
                ClientInfo = new Implementation { Name = clientName, Version = clientVersion },
            });
        }

        /// <summary>A tool call that must succeed: its structured content (also checked to be the text content's JSON).</summary>
        public static async Task<JsonElement> Call(this McpClient client, string tool, object args)
        {
            var r = await client.CallToolAsync(tool, Args(args));
            Assert.True(r.IsError != true, $"{tool} failed: {Text(r)}");
            Assert.True(r.StructuredContent.HasValue, $"{tool} returned no structured content");
            var s = r.StructuredContent!.Value;
            if (tool != "memory") Assert.Equal(s.GetRawText(), JsonDocument.Parse(Text(r)).RootElement.GetRawText());
            return s;
        }

        /// <summary>A tool call that must be a tool error with <paramref name="errorId"/>: its structured content.</summary>
        public static async Task<JsonElement> CallFails(this McpClient client, string tool, object args, string errorId)
        {
            var r = await client.CallToolAsync(tool, Args(args));
            Assert.True(r.IsError == true, $"{tool} should have failed with {errorId}, returned {Text(r)}");
            Assert.StartsWith(errorId + ": ", Text(r));
            var s = r.StructuredContent!.Value;
            Assert.Equal(errorId, s.GetProperty("error").GetProperty("id").GetString());
            Assert.False(string.IsNullOrEmpty(s.GetProperty("error").GetProperty("message").GetString()));
            return s;
        }

        public static string Text(CallToolResult r) => string.Join("\n", r.Content.OfType<TextContentBlock>().Select(t => t.Text));

        public static async Task<string> CallText(this McpClient client, string tool, object args)
        {
            var r = await client.CallToolAsync(tool, Args(args));
            Assert.True(r.IsError != true, $"{tool} failed: {Text(r)}");
            return Text(r);
        }

        private static Dictionary<string, object?> Args(object args) =>
            args as Dictionary<string, object?> ?? args.GetType().GetProperties().ToDictionary(p => p.Name, p => p.GetValue(args));
    }

    /// <summary>A fresh store folder per test.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "engram-mcp-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }
        public string Store => System.IO.Path.Combine(Path, "store");

        public void Dispose()
        {
            try { Directory.Delete(Path, true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
