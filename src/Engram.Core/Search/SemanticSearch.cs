using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics.Tensors;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace Engram.Core.Search
{
    /// <summary>
    /// Semantic search on any backend, through <see cref="IEngramStore"/>: memories are embedded with an
    /// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> (text: <see cref="SearchText.ForEmbedding"/>), their vectors
    /// kept beside them (<see cref="IEngramStore.PutVectors"/>), and ranked by cosine similarity to the query's
    /// embedding (<see cref="TensorPrimitives.CosineSimilarity(ReadOnlySpan{float}, ReadOnlySpan{float})"/>).
    /// </summary>
    /// <remarks>
    /// A search first embeds the query, then reads the main-line memories of the namespaces searched one at a time. A
    /// memory whose stored vector is missing, was made from another value (content hash), by another model, or has
    /// another dimension than the query's is stale: stale memories are embedded in batches of <see cref="BatchSize"/>
    /// and their vectors stored once per namespace, so an unchanged store costs one generator call (the query). Only
    /// the best <c>top</c> memories, one batch and the namespace's vectors are held at a time. If storing the vectors
    /// fails (a read-only or busy store) the results are still returned, with a <see cref="Warning"/>.
    /// </remarks>
    public sealed class SemanticSearch : IDisposable
    {
        private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
        private readonly bool _ownsGenerator;

        /// <param name="generator">The embedding generator.</param>
        /// <param name="model">The model name recorded with each vector (vectors of another model are stale).</param>
        /// <param name="ownsGenerator">Dispose the generator with this object.</param>
        public SemanticSearch(IEmbeddingGenerator<string, Embedding<float>> generator, string model, bool ownsGenerator = false)
        {
            _generator = generator ?? throw new ArgumentNullException(nameof(generator));
            if (string.IsNullOrEmpty(model)) throw new ArgumentException("A model name is required.", nameof(model));
            Model = model;
            _ownsGenerator = ownsGenerator;
        }

        /// <summary>The search for a store's configured generator, made by <paramref name="createGenerator"/> from the
        /// <c>embeddings:</c> section (the module and engram-mcp pass Engram.Embeddings' <c>EmbeddingGeneratorFactory.Create</c>);
        /// the search owns the generator. Throws EmbeddingsNotConfigured, before any generator is made, when engram.yaml has
        /// no <c>embeddings:</c> section (the message shows the lines to add).</summary>
        /// <param name="config">The store's configuration.</param>
        /// <param name="storeRoot">The store's location, for the message (null: not named).</param>
        /// <param name="createGenerator">Makes the generator the section describes.</param>
        public static SemanticSearch FromConfig(StoreConfig config, string? storeRoot,
            Func<EmbeddingsConfig, IEmbeddingGenerator<string, Embedding<float>>> createGenerator)
        {
            if (config == null) throw new ArgumentNullException(nameof(config));
            if (createGenerator == null) throw new ArgumentNullException(nameof(createGenerator));
            var e = config.Embeddings;
            if (e == null)
            {
                var where = storeRoot == null ? "The store" : $"The store at '{storeRoot}'";
                throw new EngramException(EngramErrorIds.EmbeddingsNotConfigured, EngramErrorKind.InvalidOperation,
                    $"Semantic search needs an embedding generator, and none is configured. {where} has no 'embeddings:' section in its " +
                    $"configuration ({StoreConfig.FileName}). Set one with Set-EngramEmbedding (for example 'Set-EngramEmbedding ollama nomic-embed-text'), " +
                    "or, in a folder store, add the lines to engram.yaml, for example for a local Ollama:\n\n" + EmbeddingsConfig.Example +
                    "\nThen run the search again (or search without -Semantic for full-text search).", storeRoot);
            }
            var generator = createGenerator(e);
            return new SemanticSearch(generator, e.Model, ownsGenerator: true);
        }

        public string Model { get; }

        /// <summary>Texts per generator call when refreshing vectors.</summary>
        public int BatchSize { get; set; } = 32;

        /// <summary>Called with a message when something went wrong that does not change the results.</summary>
        public Action<string>? Warning { get; set; }

        /// <summary>How many memories the last search embedded (stale vectors refreshed).</summary>
        public int Embedded { get; private set; }

        /// <summary>How many memories the last search compared.</summary>
        public int Compared { get; private set; }

        /// <summary>The <paramref name="top"/> memories closest in meaning to <paramref name="query"/>, best first
        /// (Score: cosine similarity, -1..1; ties by namespace, then key). MatchedBy is "semantic".</summary>
        /// <param name="namespaces">Namespaces to search (normalized); null for all.</param>
        public IReadOnlyList<SearchHit> Search(IEngramStore store, string query, IReadOnlyCollection<string>? namespaces = null, int top = 10,
            CancellationToken cancellationToken = default)
        {
            if (store == null) throw new ArgumentNullException(nameof(store));
            CheckQuery(query);
            Engine.EngramEngine.CheckTop(top);
            var searched = Engine.EngramEngine.SearchNamespaces(store, namespaces);
            store.EnsureExists();
            Embedded = 0;
            Compared = 0;

            var queryVector = Embed(new[] { query.Trim() }, cancellationToken)[0];
            var best = new TopN(top);
            foreach (var ns in searched)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var stored = new Dictionary<string, StoredVector>(StringComparer.Ordinal);
                foreach (var v in store.GetVectors(ns)) stored[v.Key] = v;
                var refreshed = new List<StoredVector>();
                var batch = new List<MemoryRecord>(BatchSize);

                foreach (var location in store.List(ns))
                {
                    var m = TryRead(store, location);
                    if (m == null) continue;
                    if (stored.TryGetValue(m.Key, out var v) && v.ContentHash == m.ContentHash && v.Model == Model && v.Vector.Length == queryVector.Length)
                    {
                        best.Add(m, Similarity(queryVector, v.Vector));
                        Compared++;
                        continue;
                    }
                    batch.Add(m);
                    if (batch.Count >= Math.Max(1, BatchSize)) Refresh(batch, queryVector, refreshed, best, cancellationToken);
                }
                if (batch.Count > 0) Refresh(batch, queryVector, refreshed, best, cancellationToken);
                if (refreshed.Count > 0) Store(store, ns, refreshed);
            }
            return best.Sorted();
        }

        /// <summary>Refuses an empty or white-space query (InvalidSearchQuery): callers can check before they
        /// create a generator.</summary>
        public static void CheckQuery(string? query)
        {
            if (query == null || query.Trim().Length == 0)
                throw new EngramException(EngramErrorIds.InvalidSearchQuery, EngramErrorKind.InvalidArgument,
                    "The search query is empty. Describe what to look for.", query);
        }

        private void Refresh(List<MemoryRecord> batch, float[] queryVector, List<StoredVector> refreshed, TopN best, CancellationToken cancellationToken)
        {
            var vectors = Embed(batch.Select(m => SearchText.ForEmbedding(m.Key, m.Value)).ToList(), cancellationToken);
            for (int i = 0; i < batch.Count; i++)
            {
                var m = batch[i];
                if (vectors[i].Length != queryVector.Length)
                    throw Failed($"it returned a vector of {vectors[i].Length} dimensions for '{m.Namespace}/{m.Key}' and one of {queryVector.Length} for the query", null);
                refreshed.Add(new StoredVector(m.Key, m.ContentHash, Model, vectors[i]));
                best.Add(m, Similarity(queryVector, vectors[i]));
                Compared++;
            }
            Embedded += batch.Count;
            batch.Clear();
        }

        private void Store(IEngramStore store, string ns, List<StoredVector> refreshed)
        {
            try
            {
                store.PutVectors(ns, refreshed);
            }
            catch (Exception ex) when (ex is EngramException || ex is IOException || ex is UnauthorizedAccessException)
            {
                Warning?.Invoke($"The embeddings of {refreshed.Count} memories in '{ns}' could not be stored, so the next search computes them again: {ex.Message}");
            }
        }

        private static MemoryRecord? TryRead(IEngramStore store, MemoryLocation location)
        {
            try { return store.Read(location); }
            catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MemoryNotFound || ex.ErrorId == EngramErrorIds.MalformedMemoryFile || ex.ErrorId == EngramErrorIds.ValueTooLarge) { return null; }
        }

        private static double Similarity(float[] a, float[] b)
        {
            var s = TensorPrimitives.CosineSimilarity(a, b);
            return float.IsNaN(s) ? 0 : s; // a zero vector is similar to nothing
        }

        private List<float[]> Embed(IList<string> texts, CancellationToken cancellationToken)
        {
            GeneratedEmbeddings<Embedding<float>> result;
            try
            {
                // Off the caller's thread: no synchronization context can deadlock the wait.
                result = Task.Run(() => _generator.GenerateAsync(texts, null, cancellationToken), cancellationToken).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (!(ex is EngramException))
            {
                throw Failed(ex.Message, ex);
            }
            if (result == null || result.Count != texts.Count)
                throw Failed($"it returned {result?.Count ?? 0} embeddings for {texts.Count} texts", null);
            var vectors = new List<float[]>(result.Count);
            foreach (var e in result)
            {
                var v = e.Vector.ToArray();
                if (v.Length == 0) throw Failed("it returned an empty vector", null);
                vectors.Add(v);
            }
            return vectors;
        }

        private EngramException Failed(string why, Exception? inner)
        {
            var meta = _generator.GetService(typeof(EmbeddingGeneratorMetadata)) as EmbeddingGeneratorMetadata;
            var who = meta == null ? $"model '{Model}'" : $"{meta.ProviderName ?? "generator"} at {meta.ProviderUri?.ToString() ?? "?"}, model '{Model}'";
            return new EngramException(EngramErrorIds.EmbeddingFailed, EngramErrorKind.InvalidOperation,
                $"The embedding generator ({who}) failed: {why}. Check the 'embeddings:' section of {StoreConfig.FileName} and that the service is running.",
                meta?.ProviderUri?.ToString() ?? Model, inner);
        }

        public void Dispose()
        {
            if (_ownsGenerator) _generator.Dispose();
        }

        /// <summary>The best N memories seen so far (a min-heap on score: the worst kept is replaced first).</summary>
        private sealed class TopN
        {
            private readonly int _n;
            private readonly List<(MemoryRecord Memory, double Score)> _heap = new List<(MemoryRecord, double)>();

            public TopN(int n) { _n = n; }

            /// <summary>Ordering "worse than": lower score, or equal score and later namespace/key.</summary>
            private static bool Worse((MemoryRecord Memory, double Score) a, (MemoryRecord Memory, double Score) b) =>
                TextRanker.Compare((a.Memory.Namespace, a.Memory.Key, a.Score), (b.Memory.Namespace, b.Memory.Key, b.Score)) > 0;

            public void Add(MemoryRecord m, double score)
            {
                var item = (m, score);
                if (_heap.Count < _n)
                {
                    _heap.Add(item);
                    int i = _heap.Count - 1;
                    while (i > 0)
                    {
                        int parent = (i - 1) / 2;
                        if (!Worse(_heap[i], _heap[parent])) break;
                        (_heap[i], _heap[parent]) = (_heap[parent], _heap[i]);
                        i = parent;
                    }
                    return;
                }
                if (!Worse(_heap[0], item)) return; // not better than the worst kept
                _heap[0] = item;
                int j = 0;
                while (true)
                {
                    int l = 2 * j + 1, r = l + 1, worst = j;
                    if (l < _heap.Count && Worse(_heap[l], _heap[worst])) worst = l;
                    if (r < _heap.Count && Worse(_heap[r], _heap[worst])) worst = r;
                    if (worst == j) break;
                    (_heap[j], _heap[worst]) = (_heap[worst], _heap[j]);
                    j = worst;
                }
            }

            public List<SearchHit> Sorted()
            {
                var list = _heap.ToList();
                list.Sort((a, b) => TextRanker.Compare((a.Memory.Namespace, a.Memory.Key, a.Score), (b.Memory.Namespace, b.Memory.Key, b.Score)));
                return list.Select(x => new SearchHit(x.Memory, x.Score, SearchMatch.Semantic)).ToList();
            }
        }
    }
}
