using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading;
using Engram.Core;
using Engram.Core.Search;
using Engram.Embeddings;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using static Engram.Mcp.ToolResults;

namespace Engram.Mcp
{
    /// <summary>The Engram tools. Parameter names are the protocol's (snake_case); every change records the client as actor.</summary>
    [McpServerToolType]
    public sealed class EngramTools
    {
        private readonly EngramToolContext _ctx;
        private readonly ILogger _log;

        public EngramTools(EngramToolContext ctx, ILogger<EngramTools> log)
        {
            _ctx = ctx;
            _log = log;
        }

        private IEngramStore Store => _ctx.Store;

        [McpServerTool(Name = "engram_put", Destructive = false, Idempotent = false, OpenWorld = false)]
        [Description("Create or revise a memory (namespace/key) with any JSON value. Every change is kept in the memory's history with the "
            + "actor (this client), time, reason and prior value. expected_version makes the write conditional: it is refused (VersionConflict) "
            + "when the memory is not at that version (0: it must not exist yet). derived_from pins the memories the value came from.")]
        public CallToolResult Put(McpServer server,
            [Description("Namespace: lower-case letters, digits, '.', '_', '-' (e.g. shared, longterm, projects); not starting with '_'.")] string @namespace,
            [Description("Key of the memory (any text up to 512 characters, no control characters).")] string key,
            [Description("The value: any JSON (string, number, boolean, null, array, object).")] JsonElement value,
            [Description("Why the change is made; recorded in the history.")] string? reason = null,
            [Description("Tags; when omitted the memory keeps its current tags.")] string[]? tags = null,
            [Description("Write only if the memory is at this version now (0: only if it does not exist yet).")] int? expected_version = null,
            [Description("Memories the value was derived from: 'namespace/key' or 'namespace/key@version'; each is pinned to the exact version used.")] string[]? derived_from = null,
            [Description("How sure you are of the value, 0 to 1.")] double? confidence = null)
        {
            return Run(_log, "engram_put", () =>
            {
                var result = Store.Set(new SetRequest(@namespace, key, FromJson(value))
                {
                    Actor = _ctx.ActorFor(server),
                    Reason = reason,
                    Tags = tags,
                    ExpectedVersion = expected_version,
                    DerivedFrom = derived_from?.Select(MemoryRef.Parse).ToList(),
                    Confidence = confidence,
                    TrackProvenance = true,
                });
                var o = Memory(result.Memory, withValue: false);
                o["changed"] = result.Changed;
                o["entry"] = result.Entry == null ? null : Entry(result.Entry, withValue: false);
                return o;
            });
        }

        [McpServerTool(Name = "engram_get", ReadOnly = true, Idempotent = true, OpenWorld = false)]
        [Description("Read a memory: its value, version, tags and times. With version: that earlier version from its history; with as_of: the "
            + "main line as it was at that time; with branch: the branch's view. A memory derived from others also lists its stale_sources "
            + "(sources that changed since: pinned version vs current).")]
        public CallToolResult Get(
            [Description("Namespace of the memory.")] string @namespace,
            [Description("Key of the memory.")] string key,
            [Description("An earlier version to read (from the history).")] int? version = null,
            [Description("The branch to read (default: main).")] string? branch = null,
            [Description("An ISO 8601 time: the memory as it was then (main line).")] string? as_of = null)
        {
            return Run(_log, "engram_get", () =>
            {
                var ns = Names.NormalizeNamespace(@namespace);
                Names.ValidateKey(key);
                if (as_of != null)
                {
                    if (version != null || branch != null)
                        throw new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument, "as_of reads the main line and cannot be combined with version or branch.", as_of);
                    if (!DateTimeOffset.TryParse(as_of, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
                        throw new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument, $"as_of '{as_of}' is not an ISO 8601 time.", as_of);
                    var asOf = Store.GetAsOf(ns, when.UtcDateTime, k => k == key);
                    if (asOf.Unavailable.Contains(key))
                        throw new EngramException(EngramErrorIds.VersionNotFound, EngramErrorKind.NotFound, $"The history of '{key}' in '{ns}' before {as_of} was squashed by retention.", ns + "/" + key);
                    var then = asOf.Memories.FirstOrDefault(m => m.Key == key)
                        ?? throw new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound, $"No memory '{key}' in '{ns}' at {as_of} (as far as its history tells).", ns + "/" + key);
                    var a = Memory(then);
                    a["as_of"] = Time(when.UtcDateTime);
                    return a;
                }
                if (version != null)
                {
                    var e = Store.GetVersion(ns, key, version.Value, branch);
                    return new JsonObject
                    {
                        ["namespace"] = ns, ["key"] = key, ["branch"] = e.Branch, ["version"] = e.Version, ["value"] = ToJson(e.Value),
                        ["action"] = e.Action, ["actor"] = e.Actor, ["time"] = Time(e.TimestampUtc), ["reason"] = e.Reason,
                    };
                }
                var m = Store.TryGet(ns, key, branch)
                    ?? throw new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound, $"No memory '{key}' in namespace '{ns}'.", ns + "/" + key);
                var o = Memory(m);
                if (m.Branch == Names.DefaultBranch)
                    o["stale_sources"] = Array(StaleSources.Stale(Store, ns, key).Select(s => (JsonNode?)Source(s)));
                return o;
            });
        }

        [McpServerTool(Name = "engram_list", ReadOnly = true, Idempotent = true, OpenWorld = false)]
        [Description("List memories (namespace, key, version, tags, updated; no values): in one namespace or all, keys matching a wildcard "
            + "pattern (* and ?), on the main line or a branch.")]
        public CallToolResult List(
            [Description("Namespace (default: every namespace).")] string? @namespace = null,
            [Description("Key pattern with * and ? (default: every key).")] string? pattern = null,
            [Description("The branch (default: main).")] string? branch = null)
        {
            return Run(_log, "engram_list", () =>
            {
                var match = Glob(pattern);
                var b = Names.NormalizeBranch(branch);
                var items = new List<JsonNode?>();
                if (Store.Exists)
                {
                    var namespaces = @namespace != null ? new List<string> { Names.NormalizeNamespace(@namespace) } : Store.ListNamespaces().ToList();
                    foreach (var ns in namespaces)
                    {
                        if (b != Names.DefaultBranch && Store.TryGetBranch(ns, b) == null)
                        {
                            if (@namespace != null) throw new EngramException(EngramErrorIds.BranchNotFound, EngramErrorKind.NotFound, $"There is no branch '{b}' of namespace '{ns}'.", ns + "@" + b);
                            continue;
                        }
                        foreach (var k in Store.ListKeys(ns, b))
                        {
                            if (!match(k)) continue;
                            var m = Store.TryGet(ns, k, b);
                            if (m != null) items.Add(Memory(m, withValue: false));
                        }
                    }
                }
                return new JsonObject { ["count"] = items.Count, ["memories"] = new JsonArray(items.ToArray()) };
            });
        }

        [McpServerTool(Name = "engram_search", ReadOnly = true, Idempotent = true, OpenWorld = false)]
        [Description("Ranked search over keys and values, best first: full-text (every word must match; a trailing * matches by prefix), or by "
            + "meaning with semantic = true (needs an embeddings section in the store's engram.yaml).")]
        public CallToolResult Search(
            [Description("Words to look for, or a description with semantic = true.")] string query,
            [Description("Limit the search to this namespace.")] string? @namespace = null,
            [Description("How many hits at most (default 10).")] int? top = null,
            [Description("Search by meaning (embeddings) instead of words.")] bool? semantic = null,
            CancellationToken cancellationToken = default)
        {
            return Run(_log, "engram_search", () =>
            {
                var n = top ?? 10;
                if (n < 1 || n > 1000) throw new EngramException(EngramErrorIds.InvalidSearchQuery, EngramErrorKind.InvalidArgument, $"top is 1 to 1000, not {n}.", n);
                var namespaces = @namespace == null ? null : new[] { Names.NormalizeNamespace(@namespace) };
                IReadOnlyList<SearchHit> hits;
                if (semantic == true)
                {
                    SemanticSearch.CheckQuery(query);
                    using (var s = EmbeddingGeneratorFactory.CreateSearch(Store.Config, Store.Root))
                    {
                        s.Warning = w => _log.LogWarning("{Warning}", w);
                        hits = s.Search(Store, query, namespaces, n, cancellationToken);
                    }
                }
                else hits = Store.Search(query, namespaces, n);
                var items = hits.Select((h, i) =>
                {
                    var o = Memory(h.Memory);
                    o["rank"] = i + 1;
                    o["score"] = h.Score;
                    o["matched_by"] = h.MatchedBy;
                    return (JsonNode?)o;
                });
                return new JsonObject { ["hits"] = Array(items) };
            });
        }

        [McpServerTool(Name = "engram_history", ReadOnly = true, Idempotent = true, OpenWorld = false)]
        [Description("The history of a memory, oldest first: each version's action, actor, time, reason, value and prior value, with the "
            + "hash chain's hashes. last limits it to the newest entries.")]
        public CallToolResult History(
            [Description("Namespace of the memory.")] string @namespace,
            [Description("Key of the memory.")] string key,
            [Description("Only the newest this many entries.")] int? last = null)
        {
            return Run(_log, "engram_history", () =>
            {
                if (last is int l && l < 1) throw new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument, $"last is 1 or more, not {l}.", l);
                // One entry more than asked, so the oldest shown has its prior value.
                var entries = Store.GetProvenance(@namespace, key, last + 1, includeValues: true).OrderBy(e => e.Seq).ToList();
                var items = new List<JsonNode?>();
                var priorByLine = new Dictionary<string, Engram.Core.Provenance.ProvenanceEntry>(StringComparer.Ordinal);
                foreach (var e in entries)
                {
                    var o = Entry(e, withValue: true);
                    if (priorByLine.TryGetValue(e.Branch, out var p) || priorByLine.TryGetValue(Names.DefaultBranch, out p))
                    {
                        o["prior_version"] = p.Version;
                        if (p.HasValue) o["prior_value"] = ToJson(p.Value);
                    }
                    if (e.HasValue || e.Action == Engram.Core.Provenance.ProvenanceActions.Deleted) priorByLine[e.Branch] = e;
                    items.Add(o);
                }
                if (last is int n && items.Count > n) items.RemoveRange(0, items.Count - n);
                return new JsonObject { ["namespace"] = Names.NormalizeNamespace(@namespace), ["key"] = key, ["entries"] = new JsonArray(items.ToArray()) };
            });
        }

        [McpServerTool(Name = "engram_lineage", ReadOnly = true, Idempotent = true, OpenWorld = false)]
        [Description("The lineage of a memory: what it was derived from (up, each source pinned to the version used, marked stale when that "
            + "source moved on) and what was derived from it (down).")]
        public CallToolResult Lineage(
            [Description("Namespace of the memory.")] string @namespace,
            [Description("Key of the memory.")] string key,
            [Description("up, down or both (default both).")] string? direction = null)
        {
            return Run(_log, "engram_lineage", () =>
            {
                var dir = ParseEnum<LineageDirection>(direction ?? "both", "direction", "up, down or both");
                var items = StaleSources.Mark(Store, Store.GetLineage(@namespace, key, 3, dir)).Select(m =>
                {
                    var l = m.Link;
                    return (JsonNode?)new JsonObject
                    {
                        ["direction"] = l.Direction.ToString().ToLowerInvariant(), ["depth"] = l.Depth,
                        ["namespace"] = l.Namespace, ["key"] = l.Key, ["version"] = l.Version,
                        ["source_namespace"] = l.SourceNamespace, ["source_key"] = l.SourceKey, ["source_version"] = l.SourceVersion,
                        ["source_current_version"] = m.SourceCurrentVersion, ["stale"] = m.Stale,
                        ["action"] = l.Action, ["actor"] = l.Actor, ["time"] = Time(l.TimestampUtc), ["confidence"] = l.Confidence, ["reason"] = l.Reason,
                    };
                });
                return new JsonObject { ["links"] = Array(items) };
            });
        }

        [McpServerTool(Name = "engram_remove", Destructive = true, Idempotent = false, OpenWorld = false)]
        [Description("Delete a memory. Its history is kept (a 'deleted' entry with your reason), so engram_restore can bring it back.")]
        public CallToolResult Remove(McpServer server,
            [Description("Namespace of the memory.")] string @namespace,
            [Description("Key of the memory.")] string key,
            [Description("Why it is deleted; recorded in the history.")] string reason)
        {
            return Run(_log, "engram_remove", () =>
            {
                var entry = Store.Remove(@namespace, key, _ctx.ActorFor(server), reason);
                return new JsonObject
                {
                    ["namespace"] = Names.NormalizeNamespace(@namespace), ["key"] = key, ["removed"] = true,
                    ["entry"] = entry == null ? null : Entry(entry, withValue: false),
                };
            });
        }

        [McpServerTool(Name = "engram_restore", Destructive = false, Idempotent = false, OpenWorld = false)]
        [Description("Bring back an earlier version's value as a new version (rollback after a bad write; also undeletes).")]
        public CallToolResult Restore(McpServer server,
            [Description("Namespace of the memory.")] string @namespace,
            [Description("Key of the memory.")] string key,
            [Description("The version whose value comes back.")] int version,
            [Description("Why; recorded in the history.")] string reason)
        {
            return Run(_log, "engram_restore", () =>
            {
                var r = Store.Restore(@namespace, key, version, _ctx.ActorFor(server), reason);
                var o = Memory(r.Memory);
                o["changed"] = r.Changed;
                o["entry"] = r.Entry == null ? null : Entry(r.Entry, withValue: false);
                return o;
            });
        }

        [McpServerTool(Name = "engram_fork", Destructive = false, Idempotent = false, OpenWorld = false)]
        [Description("Fork a branch of a namespace to try an alternative (copies nothing; main is untouched). Read it with engram_get or "
            + "engram_list (branch), merge it back with engram_merge. key limits the branch to some keys.")]
        public CallToolResult Fork(McpServer server,
            [Description("Namespace to fork.")] string @namespace,
            [Description("Name of the new branch.")] string branch,
            [Description("Fork only these keys (default: the whole namespace).")] string[]? key = null,
            [Description("Why; recorded with the branch.")] string? reason = null)
        {
            return Run(_log, "engram_fork", () =>
            {
                var b = Store.Fork(@namespace, branch, key, _ctx.ActorFor(server), reason);
                return new JsonObject
                {
                    ["namespace"] = b.Namespace, ["branch"] = b.Name, ["parent"] = b.Parent, ["created"] = Time(b.CreatedUtc), ["actor"] = b.Actor,
                    ["reason"] = b.Reason, ["keys"] = b.Keys == null ? null : Array(b.Keys.Select(k => (JsonNode?)k)),
                };
            });
        }

        [McpServerTool(Name = "engram_merge", Destructive = true, Idempotent = false, OpenWorld = false)]
        [Description("Three-way merge of a branch into main. dry_run (the default) only reports what would happen. strategy: fail (default: "
            + "any conflict stops it, nothing changes, conflicts are returned), ours, theirs, conflictbranch.")]
        public CallToolResult Merge(McpServer server,
            [Description("Namespace of the branch.")] string @namespace,
            [Description("The branch to merge into main.")] string branch,
            [Description("fail (default), ours, theirs or conflictbranch.")] string? strategy = null,
            [Description("Only report what the merge would do (default true).")] bool dry_run = true)
        {
            return Run(_log, "engram_merge", () =>
            {
                var s = ParseEnum<MergeStrategy>((strategy ?? "fail").Replace("_", "").Replace("-", ""), "strategy", "fail, ours, theirs or conflictbranch");
                var r = dry_run ? Store.PlanMerge(@namespace, branch, s) : Store.Merge(@namespace, branch, s, _ctx.ActorFor(server));
                return new JsonObject
                {
                    ["namespace"] = r.Namespace, ["branch"] = r.Branch, ["into"] = r.Into, ["strategy"] = r.Strategy.ToString().ToLowerInvariant(),
                    ["applied"] = r.Applied, ["dry_run"] = dry_run,
                    ["merged"] = Array(r.Merged.Select(i => (JsonNode?)i.Key)),
                    ["unchanged"] = Array(r.Unchanged.Select(i => (JsonNode?)i.Key)),
                    ["conflicts"] = Array(r.Conflicts.Select(c => (JsonNode?)Conflict(c))),
                    ["conflict_branches"] = Array(r.ConflictBranches.Select(c => (JsonNode?)c)),
                };
            });
        }

        [McpServerTool(Name = "engram_verify", ReadOnly = true, Idempotent = true, OpenWorld = false)]
        [Description("Verify the hash chains (tamper evidence) of a namespace's histories, or check the whole store (files parse, chains verify).")]
        public CallToolResult Verify(
            [Description("Namespace to verify (default: the whole store).")] string? @namespace = null)
        {
            return Run(_log, "engram_verify", () =>
            {
                var r = @namespace == null ? Store.Verify(repair: false) : Store.VerifyProvenance(@namespace);
                return new JsonObject
                {
                    ["healthy"] = r.Healthy, ["memories_checked"] = r.MemoriesChecked, ["histories_checked"] = r.HistoriesChecked,
                    ["entries_checked"] = r.EntriesChecked, ["branches_checked"] = r.BranchesChecked,
                    ["findings"] = Array(r.Findings.Select(f => (JsonNode?)new JsonObject
                    {
                        ["severity"] = f.Severity.ToString().ToLowerInvariant(), ["kind"] = f.Kind, ["message"] = f.Message,
                        ["namespace"] = f.Namespace, ["key"] = f.Key, ["seq"] = f.Seq,
                    })),
                };
            });
        }

        private static T ParseEnum<T>(string text, string name, string allowed) where T : struct
        {
            if (Enum.TryParse<T>(text, true, out var v) && Enum.IsDefined(typeof(T), v) && !int.TryParse(text, out _)) return v;
            throw new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument, $"{name} '{text}' is not one of: {allowed}.", text);
        }

        private static Func<string, bool> Glob(string? pattern)
        {
            if (string.IsNullOrEmpty(pattern) || pattern == "*") return _ => true;
            var rx = new Regex("^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
            return k => rx.IsMatch(k);
        }
    }
}
