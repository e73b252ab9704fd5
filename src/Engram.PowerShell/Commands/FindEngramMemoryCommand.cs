using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Engram.Core;
using Engram.Core.Search;
using Engram.Embeddings;

namespace Engram.PowerShell.Commands
{
    /// <summary>
    /// Ranked search over memories: full-text over keys and values on every backend, or semantic (-Semantic) with the
    /// embedding generator configured in engram.yaml. Namespaces piped in are searched together, once, at the end.
    /// </summary>
    [Cmdlet(VerbsCommon.Find, "EngramMemory")]
    [OutputType(typeof(EngramSearchHit))]
    public sealed class FindEngramMemoryCommand : EngramCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        // Per store (in the order first seen): the namespaces to search, or null for all of them.
        private readonly List<(IEngramStore Store, HashSet<string>? Namespaces)> _targets = new List<(IEngramStore, HashSet<string>?)>();

        /// <summary>Words to look for (all must match; a trailing * matches by prefix), or a description with -Semantic.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [AllowEmptyString]
        public string Query { get; set; } = "";

        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Namespace { get; set; } = { "*" };

        /// <summary>At most this many results, best first.</summary>
        [Parameter]
        [ValidateRange(1, 10000)]
        public int Top { get; set; } = 10;

        /// <summary>Rank by meaning (embeddings) instead of by words.</summary>
        [Parameter]
        public SwitchParameter Semantic { get; set; }

        protected override void ProcessEngramRecord()
        {
            if (!TryResolveExistingStore(out var store)) return;

            int index = _targets.FindIndex(t => ReferenceEquals(t.Store, store));
            if (index < 0)
            {
                _targets.Add((store, new HashSet<string>(StringComparer.Ordinal)));
                index = _targets.Count - 1;
            }
            var namespaces = _targets[index].Namespaces;
            if (namespaces == null) return; // already searching all of them
            if (Namespace.All(p => p == "*"))
            {
                _targets[index] = (store, null);
                return;
            }
            foreach (var pattern in Namespace)
            {
                if (WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    var wp = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
                    try { namespaces.UnionWith(store.ListNamespaces().Where(n => wp.IsMatch(n))); }
                    catch (EngramException ex) { WriteEngramError(ex); }
                }
                else
                {
                    try { namespaces.Add(Names.NormalizeNamespace(pattern)); }
                    catch (EngramException ex) { WriteEngramError(ex); }
                }
            }
        }

        protected override void EndEngramProcessing()
        {
            foreach (var (store, namespaces) in _targets)
            {
                if (namespaces != null && namespaces.Count == 0) continue; // the patterns matched no namespace
                try
                {
                    IReadOnlyList<SearchHit> hits;
                    if (Semantic.IsPresent)
                    {
                        SemanticSearch.CheckQuery(Query); // an empty query is refused before the configuration is looked at
                        using (var search = EmbeddingGeneratorFactory.CreateSearch(store.Config, store.Root))
                        {
                            search.Warning = WriteWarning;
                            hits = search.Search(store, Query, namespaces, Top, _stop.Token);
                            WriteVerbose($"Compared {search.Compared} memories by meaning (model '{search.Model}'); embedded {search.Embedded} new or changed ones.");
                        }
                    }
                    else
                    {
                        hits = store.Search(Query, namespaces, Top, WriteEngramError); // malformed memories: reported, as Get does
                    }
                    // Text ranks differ by backend (BM25F over a scan, SQLite's bm25, PostgreSQL's ts_rank): Score puts
                    // them on one scale, relative to the best hit of the query (1); RawScore keeps the backend's rank.
                    double best = hits.Count == 0 ? 0 : hits.Max(h => h.Score);
                    for (int i = 0; i < hits.Count; i++)
                    {
                        double score = Semantic.IsPresent ? hits[i].Score : best > 0 ? hits[i].Score / best : 1.0;
                        WriteObject(EngramMemory.Wrap(new EngramSearchHit(hits[i], i + 1, store.Root, score), EngramSearchHit.TypeName));
                    }
                }
                catch (EngramException ex)
                {
                    WriteEngramError(ex);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return; // Ctrl+C: the engine stops the pipeline
                }
            }
        }

        protected override void StopProcessing() => _stop.Cancel();

        public void Dispose() => _stop.Dispose();
    }
}
