using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Engram.Core.Engine.Rules;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    public partial class EngramEngine
    {
        // ------------------------------------------------------------------ many writes, few sessions

        /// <summary>
        /// Writes many memories, in as few write sessions as the rules allow (one lock, one transaction each), with
        /// exactly the outcome each would have had written alone by <see cref="Set"/>, in order: same versions, entries,
        /// <c>-ExpectedVersion</c> checks and errors. A request that is refused gets its own error and stages nothing;
        /// the others still commit.
        /// </summary>
        /// <remarks>
        /// A session reads the store as it was when it began, not what it has staged (<see cref="IStorageWrite"/>), so a
        /// session ends before a request that touches a memory already written in it (the same key, on any line, or a
        /// source it is derived from): the same key twice gives versions 1 then 2, as one by one. If a session's commit
        /// fails (a storage error), its requests are written again one at a time, so each gets its own outcome.
        /// </remarks>
        public IReadOnlyList<SetOutcome> SetMany(IReadOnlyList<SetRequest> requests)
        {
            if (requests == null) throw new ArgumentNullException(nameof(requests));
            var max = requests.Count > 1 ? Config.MaxValueBytes : 0;
            var outcomes = RunBatch(requests,
                r => WriteRules.CheckWrite(r, max), // hashed at once: every refusal comes before the session
                w => w.Branch != Names.DefaultBranch,
                w => (w.Namespace, w.Key),
                r => r.DerivedFrom?.Select(d => (d.Namespace, d.Key)),
                (s, r, w) => StageSet(s, r, w, out _), // no hash is pending: the session always commits
                Set);
            return outcomes.Select((o, i) => new SetOutcome(requests[i], o.Result, o.Error)).ToList();
        }

        /// <summary>
        /// Deletes many memories, in as few write sessions as the rules allow, each with the outcome <see cref="Remove"/>
        /// would have had (see <see cref="SetMany"/>).
        /// </summary>
        public IReadOnlyList<RemoveOutcome> RemoveMany(IReadOnlyList<RemoveRequest> requests)
        {
            if (requests == null) throw new ArgumentNullException(nameof(requests));
            var outcomes = RunBatch(requests,
                CheckRemove,
                r => true,
                r => (r.Namespace, r.Key),
                r => null,
                (s, r, c) => new Removed(StageRemove(s, c)),
                r => new Removed(Remove(r.Namespace, r.Key, r.Actor, r.Reason, r.Branch)));
            return outcomes.Select((o, i) => new RemoveOutcome(requests[i], o.Error == null, o.Result?.Entry, o.Error)).ToList();
        }

        private sealed class Removed
        {
            public Removed(Provenance.ProvenanceEntry? entry) => Entry = entry;
            public Provenance.ProvenanceEntry? Entry { get; }
        }

        /// <summary>
        /// The one batch runner of SetMany and RemoveMany: checks each request outside the lock, then stages runs of
        /// requests into one session each, ending a session before a request that touches a memory the session already
        /// changes; commits; and writes a session's requests one at a time (<paramref name="single"/>) when the session
        /// broke (a storage error while staging, or at commit).
        /// </summary>
        private (TResult? Result, Exception? Error)[] RunBatch<TRequest, TChecked, TResult>(IReadOnlyList<TRequest> requests,
            Func<TRequest, TChecked> check, Func<TChecked, bool> needsStore, Func<TChecked, (string, string)> writes,
            Func<TRequest, IEnumerable<(string, string)>?> reads, Func<IStorageWrite, TRequest, TChecked, TResult> stage,
            Func<TRequest, TResult> single)
            where TResult : class
        {
            int n = requests.Count;
            var outcomes = new (TResult? Result, Exception? Error)[n];
            if (n == 1)
            {
                // One request: exactly the single call (a large value's hash then overlaps the write's I/O).
                try { outcomes[0] = (single(requests[0]), null); }
                catch (Exception ex) when (IsRecordError(ex)) { outcomes[0] = (null, ex); }
                return outcomes;
            }
            var done = new bool[n];
            var checkedRequests = new TChecked[n];
            for (int i = 0; i < n; i++)
            {
                try { checkedRequests[i] = check(requests[i]); }
                catch (Exception ex) when (IsRecordError(ex)) { outcomes[i] = (null, ex); done[i] = true; }
            }

            int next = 0;
            while (next < n)
            {
                if (done[next]) { next++; continue; }
                var staged = new List<int>();
                var written = new HashSet<(string, string)>();
                bool broken = false;
                Exception? storeMissing = null;
                bool storeChecked = false;
                StagingCounter s;
                try { s = new StagingCounter(Storage.BeginWrite()); }
                catch (Exception ex) when (IsRecordError(ex))
                {
                    outcomes[next] = (null, ex); // the lock could not be had: this request's own error, the next one tries again
                    done[next++] = true;
                    continue;
                }
                using (s)
                {
                    for (; next < n; next++)
                    {
                        if (done[next]) continue;
                        var c = checkedRequests[next];
                        var own = writes(c);
                        if (staged.Count > 0 && (written.Contains(own) || (reads(requests[next])?.Any(written.Contains) ?? false)))
                            break; // it would read what this session staged: it goes in the next one
                        if (needsStore(c))
                        {
                            if (!storeChecked)
                            {
                                try { EnsureExists(); }
                                catch (Exception ex) when (IsRecordError(ex)) { storeMissing = ex; }
                                storeChecked = true;
                            }
                            if (storeMissing != null) { outcomes[next] = (null, storeMissing); done[next] = true; continue; }
                        }
                        int before = s.Staged;
                        try
                        {
                            outcomes[next] = (stage(s, requests[next], c), null);
                            staged.Add(next);
                            written.Add(own);
                        }
                        catch (Exception ex) when (IsRecordError(ex) && IsRefusal(ex) && s.Staged == before)
                        {
                            outcomes[next] = (null, ex); // refused by a rule, nothing staged: the others go on
                            done[next] = true;
                        }
                        catch (Exception ex) when (IsRecordError(ex))
                        {
                            staged.Add(next++); // the session is not to be trusted: its requests are written one by one
                            broken = true;
                            break;
                        }
                    }
                    if (!broken)
                    {
                        try { s.Commit(); }
                        catch (Exception ex) when (IsRecordError(ex)) { broken = true; }
                    }
                }
                foreach (var i in staged)
                {
                    if (broken)
                    {
                        try { outcomes[i] = (single(requests[i]), null); }
                        catch (Exception ex) when (IsRecordError(ex)) { outcomes[i] = (null, ex); }
                    }
                    done[i] = true;
                }
            }
            return outcomes;
        }

        /// <summary>An exception that is one request's outcome, not the end of the process (a simulated crash passes through).</summary>
        private static bool IsRecordError(Exception ex) =>
            !(ex is SimulatedCrashException || ex is OutOfMemoryException || ex is OperationCanceledException || ex is ThreadAbortException);

        /// <summary>A rule's refusal of one request (bad input, a version conflict, a missing memory…), as opposed to the
        /// storage failing (a write error, a lost connection, the lock): after a refusal the session goes on.</summary>
        private static bool IsRefusal(Exception ex) =>
            ex is EngramException e && e.Kind != EngramErrorKind.WriteError && e.Kind != EngramErrorKind.ResourceUnavailable
            && e.Kind != EngramErrorKind.ResourceBusy;
    }
}
