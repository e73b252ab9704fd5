using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Engram.Core;
using Engram.Storage.Sql;
using Xunit;

namespace Engram.Mcp.Tests
{
    /// <summary>engram-mcp end to end: a server process per test, driven by the SDK's MCP client over stdio.</summary>
    public sealed class McpServerTests : IDisposable
    {
        private readonly TempDir _dir = new TempDir();

        public void Dispose() => _dir.Dispose();

        private static readonly string[] Readers = { "engram_get", "engram_list", "engram_search", "engram_history", "engram_lineage", "engram_verify" };

        [Fact]
        public async Task Tools_AreListedWithTheirParameters_Descriptions_AndReadOnlyAnnotations()
        {
            await using var client = await ServerProcess.Connect(_dir.Store);
            var tools = (await client.ListToolsAsync()).ToDictionary(t => t.Name);
            var expected = new Dictionary<string, string[]>
            {
                ["engram_put"] = new[] { "namespace", "key", "value", "reason", "tags", "expected_version", "derived_from", "confidence" },
                ["engram_get"] = new[] { "namespace", "key", "version", "branch", "as_of" },
                ["engram_list"] = new[] { "namespace", "pattern", "branch" },
                ["engram_search"] = new[] { "query", "namespace", "top", "semantic" },
                ["engram_history"] = new[] { "namespace", "key", "last" },
                ["engram_lineage"] = new[] { "namespace", "key", "direction" },
                ["engram_remove"] = new[] { "namespace", "key", "reason" },
                ["engram_restore"] = new[] { "namespace", "key", "version", "reason" },
                ["engram_fork"] = new[] { "namespace", "branch", "key", "reason" },
                ["engram_merge"] = new[] { "namespace", "branch", "strategy", "dry_run" },
                ["engram_verify"] = new[] { "namespace" },
                ["memory"] = new[] { "command", "path", "file_text", "old_str", "new_str", "insert_line", "insert_text", "view_range", "old_path", "new_path" },
            };
            Assert.Equal(expected.Keys.OrderBy(k => k), tools.Keys.OrderBy(k => k));
            foreach (var (name, parameters) in expected)
            {
                var tool = tools[name].ProtocolTool;
                Assert.False(string.IsNullOrWhiteSpace(tool.Description), name + " has no description");
                var schema = tool.InputSchema;
                Assert.Equal("object", schema.GetProperty("type").GetString());
                var props = schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToArray();
                Assert.Equal(parameters.OrderBy(p => p), props.OrderBy(p => p));
                foreach (var p in schema.GetProperty("properties").EnumerateObject())
                    Assert.True(p.Value.TryGetProperty("description", out _), $"{name}.{p.Name} has no description");
                Assert.Equal(Readers.Contains(name), tool.Annotations?.ReadOnlyHint == true);
            }
            var required = (string name) => tools[name].ProtocolTool.InputSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()).OrderBy(s => s).ToArray();
            Assert.Equal(new[] { "key", "namespace", "value" }, required("engram_put"));
            Assert.Equal(new[] { "key", "namespace", "reason" }, required("engram_remove"));
            Assert.Equal(new[] { "command" }, required("memory"));
        }

        [Fact]
        public async Task PutGetHistory_RecordTheClientAsActor_TheReason_AndPriorValues()
        {
            await using var client = await ServerProcess.Connect(_dir.Store, "test-agent", "2.5");
            var put = await client.Call("engram_put", new { @namespace = "shared", key = "config", value = new { port = 8080, hosts = new[] { "a", "b" } }, reason = "initial", tags = new[] { "infra" } });
            Assert.Equal(1, put.GetProperty("version").GetInt32());
            Assert.Equal("test-agent/2.5", put.GetProperty("entry").GetProperty("actor").GetString());
            await client.Call("engram_put", new { @namespace = "shared", key = "config", value = new { port = 9090, hosts = new[] { "a" } }, reason = "move port" });

            var get = await client.Call("engram_get", new { @namespace = "shared", key = "config" });
            Assert.Equal(2, get.GetProperty("version").GetInt32());
            Assert.Equal(9090, get.GetProperty("value").GetProperty("port").GetInt64());
            Assert.Equal("infra", get.GetProperty("tags")[0].GetString());
            Assert.Equal(0, get.GetProperty("stale_sources").GetArrayLength());
            var v1 = await client.Call("engram_get", new { @namespace = "shared", key = "config", version = 1 });
            Assert.Equal(8080, v1.GetProperty("value").GetProperty("port").GetInt64());

            var history = (await client.Call("engram_history", new { @namespace = "shared", key = "config" })).GetProperty("entries");
            Assert.Equal(2, history.GetArrayLength());
            var second = history[1];
            Assert.Equal(("revised", "test-agent/2.5", "move port"), (second.GetProperty("action").GetString(), second.GetProperty("actor").GetString(), second.GetProperty("reason").GetString()));
            Assert.Equal(8080, second.GetProperty("prior_value").GetProperty("port").GetInt64());
            Assert.True(DateTime.TryParse(second.GetProperty("time").GetString(), out _));
            var last = (await client.Call("engram_history", new { @namespace = "shared", key = "config", last = 1 })).GetProperty("entries");
            Assert.Equal(1, last.GetArrayLength());
            Assert.Equal(8080, last[0].GetProperty("prior_value").GetProperty("port").GetInt64());

            // the same store, read in-process: the history the cmdlets see
            var store = EngramBackends.Open(_dir.Store);
            Assert.All(store.GetProvenance("shared", "config"), e => Assert.Equal("test-agent/2.5", e.Actor));
            var value = (Engram.Core.Values.EngramMap)store.Get("shared", "config").Value!;
            Assert.Equal(9090L, value["port"]);
        }

        [Fact]
        public async Task ActorOption_OverridesClientInfo()
        {
            await using var client = await ServerProcess.Connect(_dir.Store, "ignored", "1", actor: "ci-bot");
            var put = await client.Call("engram_put", new { @namespace = "shared", key = "k", value = "v" });
            Assert.Equal("ci-bot", put.GetProperty("entry").GetProperty("actor").GetString());
        }

        [Fact]
        public async Task ExpectedVersion_MakesTheWriteConditional()
        {
            await using var client = await ServerProcess.Connect(_dir.Store);
            await client.Call("engram_put", new { @namespace = "shared", key = "plan", value = "v1", expected_version = 0 });
            await client.Call("engram_put", new { @namespace = "shared", key = "plan", value = "v2", expected_version = 1 });
            var conflict = await client.CallFails("engram_put", new { @namespace = "shared", key = "plan", value = "lost?", expected_version = 1 }, "VersionConflict");
            Assert.Equal("shared/plan", conflict.GetProperty("error").GetProperty("target").GetString());
            await client.CallFails("engram_put", new { @namespace = "shared", key = "plan", value = "again", expected_version = 0 }, "VersionConflict");
            var get = await client.Call("engram_get", new { @namespace = "shared", key = "plan" });
            Assert.Equal(("v2", 2), (get.GetProperty("value").GetString(), get.GetProperty("version").GetInt32()));
        }

        [Fact]
        public async Task EngramErrors_AreToolErrors_WithTheirIds_AndTheServerKeepsServing()
        {
            await using var client = await ServerProcess.Connect(_dir.Store);
            await client.CallFails("engram_put", new { @namespace = "Bad Name!", key = "k", value = 1 }, "InvalidNamespace");
            await client.CallFails("engram_put", new { @namespace = "_provenance", key = "k", value = 1 }, "ReservedNamespace");
            await client.CallFails("engram_put", new { @namespace = "shared", key = "a\u0001b", value = 1 }, "InvalidKey");
            await client.CallFails("engram_put", new { @namespace = "shared", key = "k", value = 1, confidence = 1.5 }, "InvalidConfidence");
            await client.CallFails("engram_put", new { @namespace = "shared", key = "k", value = 1, derived_from = new[] { "thinking/missing" } }, "MemoryNotFound");
            await client.CallFails("engram_get", new { @namespace = "shared", key = "missing" }, "MemoryNotFound");
            await client.CallFails("engram_remove", new { @namespace = "shared", key = "missing", reason = "x" }, "MemoryNotFound");
            await client.Call("engram_put", new { @namespace = "shared", key = "k", value = 1 });
            await client.CallFails("engram_get", new { @namespace = "shared", key = "k", version = 7 }, "VersionNotFound");
            await client.CallFails("engram_restore", new { @namespace = "shared", key = "k", version = 7, reason = "x" }, "VersionNotFound");
            await client.CallFails("engram_get", new { @namespace = "shared", key = "k", branch = "nope" }, "BranchNotFound");
            await client.CallFails("engram_get", new { @namespace = "shared", key = "k", as_of = "yesterday-ish" }, "InvalidConfiguration");
            await client.CallFails("engram_merge", new { @namespace = "shared", branch = "nope" }, "BranchNotFound");
            await client.CallFails("engram_merge", new { @namespace = "shared", branch = "nope", strategy = "coinflip" }, "InvalidConfiguration");
            await client.CallFails("engram_lineage", new { @namespace = "shared", key = "k", direction = "sideways" }, "InvalidConfiguration");
            await client.CallFails("engram_search", new { query = "   " }, "InvalidSearchQuery");
            await client.CallFails("engram_search", new { query = "x", semantic = true }, "EmbeddingsNotConfigured");
            await client.CallFails("engram_fork", new { @namespace = "shared", branch = "main" }, "InvalidBranch");
            await client.CallFails("memory", new { command = "view", path = "/etc/passwd" }, "InvalidMemoryPath");
            await client.CallFails("memory", new { command = "view", path = "/memories/../secrets" }, "InvalidMemoryPath");
            await client.CallFails("memory", new { command = "view", path = "/memories/shared/%2e%2e/x" }, "InvalidMemoryPath");
            await client.CallFails("memory", new { command = "create", path = "/memories/_provenance/x", file_text = "x" }, "ReservedNamespace");
            await client.CallFails("memory", new { command = "chmod", path = "/memories/shared/k" }, "MemoryCommandFailed");
            // still serving, store intact
            var get = await client.Call("engram_get", new { @namespace = "shared", key = "k" });
            Assert.Equal(1, get.GetProperty("version").GetInt32());
            var verify = await client.Call("engram_verify", new { });
            Assert.True(verify.GetProperty("healthy").GetBoolean());
        }

        [Fact]
        public async Task MissingOrMistypedArguments_AreToolErrors_ThatNameTheArgument()
        {
            await using var client = await ServerProcess.Connect(_dir.Store);
            var missing = await client.CallFails("engram_put", new { @namespace = "shared", key = "k" }, "InvalidConfiguration");
            Assert.Contains("'value'", missing.GetProperty("error").GetProperty("message").GetString());
            var mistyped = await client.CallFails("engram_put", new { @namespace = "shared", key = "k", value = 1, expected_version = "two" }, "InvalidConfiguration");
            Assert.Contains("expected_version", mistyped.GetProperty("error").GetProperty("message").GetString());
            await client.CallFails("engram_get", new { @namespace = "shared" }, "InvalidConfiguration");
            await client.CallFails("engram_history", new { @namespace = "shared", key = "k", last = "all" }, "InvalidConfiguration");
            // nothing was written, and the server still serves
            await client.CallFails("engram_get", new { @namespace = "shared", key = "k" }, "MemoryNotFound");
            await client.Call("engram_put", new { @namespace = "shared", key = "k", value = 1 });
        }

        [Fact]
        public async Task LargeIntegers_AreKeptExactly_OrRefused_NeverRounded()
        {
            await using var client = await ServerProcess.Connect(_dir.Store);
            // beyond a 64-bit integer, within a decimal: kept digit for digit
            await client.Call("engram_put", new { @namespace = "shared", key = "n", value = JsonDocument.Parse("12345678901234567890123").RootElement });
            var get = await client.Call("engram_get", new { @namespace = "shared", key = "n" });
            Assert.Equal("12345678901234567890123", get.GetProperty("value").GetRawText());
            // beyond a decimal too: refused as PowerShell refuses a [bigint], never stored as a rounded double
            var refused = await client.CallFails("engram_put", new { @namespace = "shared", key = "big", value = JsonDocument.Parse("{\"id\": 123456789012345678901234567890}").RootElement }, "UnsupportedValueType");
            Assert.Contains("123456789012345678901234567890", refused.GetProperty("error").GetProperty("message").GetString());
            await client.CallFails("engram_get", new { @namespace = "shared", key = "big" }, "MemoryNotFound");
            // fractions stay JSON numbers as before
            await client.Call("engram_put", new { @namespace = "shared", key = "f", value = 0.1 });
            Assert.Equal("0.1", (await client.Call("engram_get", new { @namespace = "shared", key = "f" })).GetProperty("value").GetRawText());
        }

        [Fact]
        public async Task RemoveRestoreListSearchVerify()
        {
            await using var client = await ServerProcess.Connect(_dir.Store);
            await client.Call("engram_put", new { @namespace = "shared", key = "deploy-target", value = "production", reason = "go live" });
            await client.Call("engram_put", new { @namespace = "projects", key = "deploy-notes", value = "canary first" });
            await client.Call("engram_put", new { @namespace = "projects", key = "other", value = "unrelated" });

            var all = await client.Call("engram_list", new { });
            Assert.Equal(3, all.GetProperty("count").GetInt32());
            var some = await client.Call("engram_list", new { @namespace = "projects", pattern = "deploy*" });
            Assert.Equal("deploy-notes", Assert.Single(some.GetProperty("memories").EnumerateArray()).GetProperty("key").GetString());

            var hits = (await client.Call("engram_search", new { query = "canary" })).GetProperty("hits");
            Assert.Equal("deploy-notes", hits[0].GetProperty("key").GetString());
            Assert.Equal(1, (await client.Call("engram_search", new { query = "deploy", @namespace = "shared", top = 5 })).GetProperty("hits").GetArrayLength());

            var removed = await client.Call("engram_remove", new { @namespace = "shared", key = "deploy-target", reason = "wrong target" });
            Assert.Equal("deleted", removed.GetProperty("entry").GetProperty("action").GetString());
            await client.CallFails("engram_get", new { @namespace = "shared", key = "deploy-target" }, "MemoryNotFound");
            var restored = await client.Call("engram_restore", new { @namespace = "shared", key = "deploy-target", version = 1, reason = "it was right" });
            Assert.Equal(("production", 2), (restored.GetProperty("value").GetString(), restored.GetProperty("version").GetInt32()));
            var history = (await client.Call("engram_history", new { @namespace = "shared", key = "deploy-target" })).GetProperty("entries");
            Assert.Equal(new[] { "created", "deleted", "restored" }, history.EnumerateArray().Select(e => e.GetProperty("action").GetString()));
            Assert.Equal("wrong target", history[1].GetProperty("reason").GetString());

            var verify = await client.Call("engram_verify", new { @namespace = "shared" });
            Assert.True(verify.GetProperty("healthy").GetBoolean());
            Assert.True(verify.GetProperty("entries_checked").GetInt64() >= 3);
        }

        [Fact]
        public async Task ForkAndMerge_ConflictsComeBackStructured()
        {
            await using var client = await ServerProcess.Connect(_dir.Store);
            await client.Call("engram_put", new { @namespace = "shared", key = "plan", value = "base" });
            await client.Call("engram_put", new { @namespace = "shared", key = "clean", value = "base" });
            var fork = await client.Call("engram_fork", new { @namespace = "shared", branch = "alt", reason = "try another plan" });
            Assert.Equal("alt", fork.GetProperty("branch").GetString());
            await client.CallFails("engram_fork", new { @namespace = "shared", branch = "alt" }, "BranchAlreadyExists");
            // the branch is written by a script (in-process, on the same store), main by the agent
            var store = EngramBackends.Open(_dir.Store);
            store.Set(new SetRequest("shared", "plan", "branch plan") { Branch = "alt", Actor = "script" });
            store.Set(new SetRequest("shared", "clean", "branch clean") { Branch = "alt", Actor = "script" });
            await client.Call("engram_put", new { @namespace = "shared", key = "plan", value = "main plan" });
            var onBranch = await client.Call("engram_get", new { @namespace = "shared", key = "plan", branch = "alt" });
            Assert.Equal("branch plan", onBranch.GetProperty("value").GetString());
            Assert.Equal(2, (await client.Call("engram_list", new { @namespace = "shared", branch = "alt" })).GetProperty("count").GetInt32());

            var dry = await client.Call("engram_merge", new { @namespace = "shared", branch = "alt" });
            Assert.False(dry.GetProperty("applied").GetBoolean());
            Assert.Equal("plan", Assert.Single(dry.GetProperty("conflicts").EnumerateArray()).GetProperty("key").GetString());
            var failed = await client.CallFails("engram_merge", new { @namespace = "shared", branch = "alt", dry_run = false }, "MergeConflict");
            var conflict = Assert.Single(failed.GetProperty("conflicts").EnumerateArray());
            Assert.Equal(("plan", "base", "main plan", "branch plan"), (conflict.GetProperty("key").GetString(),
                conflict.GetProperty("base").GetProperty("value").GetString(), conflict.GetProperty("ours").GetProperty("value").GetString(),
                conflict.GetProperty("theirs").GetProperty("value").GetString()));
            Assert.Equal("base", (await client.Call("engram_get", new { @namespace = "shared", key = "clean" })).GetProperty("value").GetString()); // nothing changed

            var merged = await client.Call("engram_merge", new { @namespace = "shared", branch = "alt", strategy = "theirs", dry_run = false });
            Assert.True(merged.GetProperty("applied").GetBoolean());
            Assert.Equal("branch plan", (await client.Call("engram_get", new { @namespace = "shared", key = "plan" })).GetProperty("value").GetString());
            var mergeEntry = store.GetProvenance("shared", "plan").Last();
            Assert.Equal(("merged", "test-agent/2.5"), (mergeEntry.Action, mergeEntry.Actor));
        }

        [Fact]
        public async Task DerivedMemory_ReportsStaleSources_InGetAndLineage()
        {
            await using var client = await ServerProcess.Connect(_dir.Store);
            await client.Call("engram_put", new { @namespace = "thinking", key = "obs1", value = "opened email on day 2" });
            await client.Call("engram_put", new { @namespace = "longterm", key = "insight", value = "email on day 2", derived_from = new[] { "thinking/obs1" }, confidence = 0.7 });
            Assert.Equal(0, (await client.Call("engram_get", new { @namespace = "longterm", key = "insight" })).GetProperty("stale_sources").GetArrayLength());

            await client.Call("engram_put", new { @namespace = "thinking", key = "obs1", value = "opened email on day 3" });
            var stale = Assert.Single((await client.Call("engram_get", new { @namespace = "longterm", key = "insight" })).GetProperty("stale_sources").EnumerateArray());
            Assert.Equal(("thinking", "obs1", 1, 2), (stale.GetProperty("namespace").GetString(), stale.GetProperty("key").GetString(),
                stale.GetProperty("pinned_version").GetInt32(), stale.GetProperty("current_version").GetInt32()));

            var up = Assert.Single((await client.Call("engram_lineage", new { @namespace = "longterm", key = "insight", direction = "up" })).GetProperty("links").EnumerateArray());
            Assert.True(up.GetProperty("stale").GetBoolean());
            Assert.Equal(0.7, up.GetProperty("confidence").GetDouble());
            var down = Assert.Single((await client.Call("engram_lineage", new { @namespace = "thinking", key = "obs1", direction = "down" })).GetProperty("links").EnumerateArray());
            Assert.Equal("insight", down.GetProperty("key").GetString());
        }

        [Fact]
        public async Task MemoryTool_Commands_OverMcp()
        {
            await using var client = await ServerProcess.Connect(_dir.Store, "claude-code", "1.0");
            Assert.Equal("File created successfully at: /memories/projects/notes.md",
                await client.CallText("memory", new { command = "create", path = "/memories/projects/notes.md", file_text = "# Notes\nuser prefers tabs\n" }));
            var view = await client.CallText("memory", new { command = "view", path = "/memories/projects/notes.md" });
            Assert.Equal("Here's the content of /memories/projects/notes.md with line numbers:\n     1\t# Notes\n     2\tuser prefers tabs\n     3\t\n", view);
            Assert.Equal("The memory file has been edited.",
                await client.CallText("memory", new { command = "str_replace", path = "/memories/projects/notes.md", old_str = "tabs", new_str = "spaces" }));
            await client.CallFails("memory", new { command = "str_replace", path = "/memories/projects/notes.md", old_str = "tabs", new_str = "x" }, "MemoryCommandFailed");
            await client.CallText("memory", new { command = "insert", path = "/memories/projects/notes.md", insert_line = 1, insert_text = "- 2026" });
            await client.CallFails("memory", new { command = "insert", path = "/memories/projects/notes.md", insert_line = 99, insert_text = "x" }, "MemoryCommandFailed");
            var range = await client.CallText("memory", new { command = "view", path = "/memories/projects/notes.md", view_range = new[] { 2, 3 } });
            Assert.Equal("Here's the content of /memories/projects/notes.md with line numbers:\n     2\t- 2026\n     3\tuser prefers spaces\n", range);
            var listing = await client.CallText("memory", new { command = "view", path = "/memories" });
            Assert.Contains("\t/memories/projects\n", listing);
            Assert.Contains("\t/memories/projects/notes.md\n", listing);
            await client.CallText("memory", new { command = "rename", old_path = "/memories/projects/notes.md", new_path = "/memories/longterm/prefs.md" });
            await client.CallFails("memory", new { command = "view", path = "/memories/projects/notes.md" }, "MemoryNotFound");
            var r = await client.CallToolAsync("memory", new Dictionary<string, object?> { ["command"] = "delete", ["path"] = "/memories/longterm/prefs.md" });
            Assert.Equal("Successfully deleted /memories/longterm/prefs.md", ServerProcess.Text(r));
            Assert.Equal(("deleted", 1), (r.StructuredContent!.Value.GetProperty("change").GetProperty("action").GetString(), r.StructuredContent!.Value.GetProperty("change").GetProperty("version").GetInt32()));

            var store = EngramBackends.Open(_dir.Store);
            var history = store.GetProvenance("projects", "notes.md").ToList();
            Assert.Equal(new[] { "created", "revised", "revised", "deleted" }, history.Select(e => e.Action));
            Assert.All(history, e => Assert.Equal("claude-code/1.0", e.Actor));
            Assert.Equal("memory tool: str_replace /memories/projects/notes.md", history[1].Reason);
            Assert.Equal(new[] { "renamed", "deleted" }, store.GetProvenance("longterm", "prefs.md").Select(e => e.Action));
        }

        [Fact]
        public async Task SqliteStore_IsServedToo()
        {
            var location = "sqlite:" + System.IO.Path.Combine(_dir.Path, "m.db");
            await using var client = await ServerProcess.Connect(location);
            await client.Call("engram_put", new { @namespace = "shared", key = "k", value = new object?[] { 1, "two", null, true } });
            var get = await client.Call("engram_get", new { @namespace = "shared", key = "k" });
            Assert.Equal("[1,\"two\",null,true]", get.GetProperty("value").GetRawText());
            Assert.Equal("sqlite", EngramBackends.Open(location).Backend);
            Assert.Equal(1, EngramBackends.Open(location).Get("shared", "k").Version);
        }

        [Fact]
        public async Task ThreeServers_OneKey_ThreeHundredPuts_LoseNothing()
        {
            var clients = new List<ModelContextProtocol.Client.McpClient>();
            try
            {
                for (int i = 0; i < 3; i++) clients.Add(await ServerProcess.Connect(_dir.Store, "agent-" + i, "1"));
                var versions = await Task.WhenAll(clients.Select(async (c, i) =>
                {
                    var mine = new List<int>();
                    for (int n = 0; n < 100; n++)
                        mine.Add((await c.Call("engram_put", new { @namespace = "shared", key = "counter", value = $"{i}-{n}" })).GetProperty("version").GetInt32());
                    return mine;
                }));
                Assert.Equal(Enumerable.Range(1, 300), versions.SelectMany(v => v).OrderBy(v => v));
                foreach (var mine in versions) Assert.Equal(mine.OrderBy(v => v), mine); // each agent sees its own writes in order
                var verify = await clients[0].Call("engram_verify", new { @namespace = "shared" });
                Assert.True(verify.GetProperty("healthy").GetBoolean(), verify.GetRawText());
            }
            finally
            {
                foreach (var c in clients) await c.DisposeAsync();
            }
            var store = EngramBackends.Open(_dir.Store);
            var history = store.GetProvenance("shared", "counter").ToList();
            Assert.Equal(Enumerable.Range(1, 300), history.Select(e => e.Version));
            Assert.Equal(Enumerable.Range(1, 300).Select(v => (long)v), history.Select(e => e.Seq));
            Assert.Equal(300, history.Select(e => (string)e.Value!).Distinct().Count());
            Assert.Equal(3, history.Select(e => e.Actor).Distinct().Count());
            Assert.True(store.VerifyProvenance("shared").Healthy);
        }
    }
}
