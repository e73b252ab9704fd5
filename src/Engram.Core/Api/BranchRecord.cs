using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Engram.Core.Values;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Engram.Core
{
    /// <summary>
    /// A branch of one namespace: <c>_branches/&lt;namespace&gt;/&lt;branch&gt;/branch.yaml</c>. Its changed memories live in
    /// <c>mem/</c> beside it (copy-on-write: a fork copies nothing), and <c>base/</c> keeps the merge base of a memory once
    /// main changes it after the fork (or eagerly for a fork of named keys).
    /// </summary>
    public sealed class BranchRecord
    {
        public const int CurrentFormat = 1;

        public BranchRecord(string name, string ns, DateTime createdUtc, string actor, string? reason, IReadOnlyList<string>? keys, string? parent = null)
        {
            Name = name;
            Namespace = ns;
            CreatedUtc = createdUtc;
            Actor = actor;
            Reason = reason;
            Keys = keys;
            Parent = parent ?? Names.DefaultBranch;
        }

        public string Name { get; }
        public string Namespace { get; }
        public DateTime CreatedUtc { get; }
        public string Actor { get; }
        public string? Reason { get; }
        /// <summary>The forked keys; null when the whole namespace was forked.</summary>
        public IReadOnlyList<string>? Keys { get; }
        /// <summary>The branch it was forked from (always main in this version).</summary>
        public string Parent { get; }

        public bool Covers(string key) => Keys == null || ((IList<string>)Keys).Contains(key);

        /// <summary>The branch record as YAML (its file on the file store, its row on SQL).</summary>
        public string ToYaml()
        {
            var map = new EngramMap(MapKind.Object)
            {
                { "engram", CurrentFormat },
                { "name", Name },
                { "namespace", Namespace },
                { "parent", Parent },
                { "created", CreatedUtc.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture) },
                { "actor", Actor },
                { "reason", Reason },
                { "keys", Keys == null ? null : new List<object?>(Keys).ToArray() },
            };
            return ValueCodec.ToYaml(map);
        }

        /// <summary>Parses a branch record written by <see cref="ToYaml"/>; <paramref name="path"/> names it in errors.</summary>
        public static BranchRecord Parse(string text, string path)
        {
            EngramMap? map;
            try { map = ValueCodec.FromYaml(text) as EngramMap; }
            catch (YamlException ex) { throw Malformed(path, ex.Message, ex); }
            if (map == null) throw Malformed(path, "it is not a mapping");
            object? Get(string k) => map.TryGetValue(k, out var v) ? v : null;
            if (!(Get("engram") is int format)) throw Malformed(path, "the 'engram' format field is missing");
            if (format > CurrentFormat)
                throw new EngramException(EngramErrorIds.UnsupportedFormatVersion, EngramErrorKind.NotSupported,
                    $"The branch record '{path}' uses format {format}, but this version of Engram only knows formats up to {CurrentFormat}.", path);
            var name = Get("name") as string ?? throw Malformed(path, "'name' is missing");
            var ns = Get("namespace") as string ?? throw Malformed(path, "'namespace' is missing");
            // Read from disk: the names must be ones Engram writes, so no path is ever built from anything else.
#pragma warning disable CA1862 // not a case-insensitive comparison: "is the name already lower case"
            if (!(ns.Length > 0 && ns[0] != '_' && Names.IsValidNamespace(ns) && ns == ns.ToLowerInvariant()))
#pragma warning restore CA1862
                throw Malformed(path, $"'namespace' ({ns}) is not a valid namespace name");
            string? canonical;
            try { canonical = Names.NormalizeBranch(name); }
            catch (EngramException) { canonical = null; }
            if (canonical != name || name == Names.DefaultBranch) throw Malformed(path, $"'name' ({name}) is not a valid branch name");
            var created = DateTime.Parse(Get("created") as string ?? "0001-01-01T00:00:00Z", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            List<string>? keys = null;
            if (Get("keys") is object?[] arr)
            {
                keys = new List<string>();
                foreach (var k in arr) keys.Add(k as string ?? throw Malformed(path, "'keys' must be strings"));
            }
            return new BranchRecord(name, ns, DateTime.SpecifyKind(created, DateTimeKind.Utc), Get("actor") as string ?? "", Get("reason") as string, keys, Get("parent") as string);
        }

        private static EngramException Malformed(string path, string why, Exception? inner = null) =>
            new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"The branch record '{path}' cannot be read: {why}.", path, inner);
    }

    /// <summary>A branch with its current state, for listing.</summary>
    public sealed class BranchInfo
    {
        internal BranchInfo(BranchRecord record, int changed)
        {
            Record = record;
            ChangedCount = changed;
        }

        public BranchRecord Record { get; }
        /// <summary>Memories written or deleted on the branch and not merged yet.</summary>
        public int ChangedCount { get; }
    }
}
