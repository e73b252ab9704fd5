using System;
using System.Linq;
using Engram.Core;

namespace Engram.PowerShell
{
    /// <summary>
    /// A memory found by Find-EngramMemory (PSTypeName Engram.SearchHit): the memory's properties, as Get-EngramMemory
    /// emits them, plus its Score and how it matched. Namespace, Key and Store bind by property name, so a hit pipes
    /// into Get-EngramMemory, Set-EngramMemory, Get-EngramProvenance and the other memory cmdlets.
    /// </summary>
    public sealed class EngramSearchHit
    {
        public const string TypeName = "Engram.SearchHit";

        internal EngramSearchHit(SearchHit hit, int rank, string store)
        {
            var m = hit.Memory;
            Rank = rank;
            Score = hit.Score;
            MatchedBy = hit.MatchedBy;
            Namespace = m.Namespace;
            Key = m.Key;
            Value = ValueConverter.ToPowerShell(m.Value);
            Version = m.Version;
            Tags = m.Tags.ToArray();
            Created = m.CreatedUtc.ToLocalTime();
            Updated = m.UpdatedUtc.ToLocalTime();
            Id = m.Id;
            Branch = m.Branch;
            Store = store;
        }

        /// <summary>1 for the best hit, then 2, 3…</summary>
        public int Rank { get; }
        /// <summary>Relevance, higher is better: the backend's full-text rank ("text"), or cosine similarity -1..1 ("semantic").</summary>
        public double Score { get; }
        /// <summary>"text" or "semantic".</summary>
        public string MatchedBy { get; }
        public string Namespace { get; }
        public string Key { get; }
        public object? Value { get; }
        public int Version { get; }
        public string[] Tags { get; }
        public DateTime Created { get; }
        public DateTime Updated { get; }
        public string Id { get; }
        public string Branch { get; }
        public string Store { get; }

        public override string ToString() => Namespace + "/" + Key;
    }
}
