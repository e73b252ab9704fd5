# What a new PowerShell user tripped over (issue 15, "Fix"): one Describe per finding, each It named after the behaviour.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'CSV round trip' {
    BeforeEach {
        $store = New-TestStore
        $other = New-TestStore
        Initialize-EngramStore -Store $other | Out-Null
        Set-EngramMemory -Store $store shared deploy 'prod' -Tag infra, deploy
        Set-EngramMemory -Store $store shared note 'plain text' -Tag solo
        $csv = Join-Path $TestDrive ('m-' + [guid]::NewGuid().ToString('N') + '.csv')
    }

    It 'Export-Csv writes the tags joined, not System.String[]' {
        Get-EngramMemory -Store $store shared deploy | Export-Csv -LiteralPath $csv
        (Import-Csv -LiteralPath $csv).Tags | Should -Be 'infra, deploy'
    }

    It 'Import-Csv | Set-EngramMemory splits the joined Tags back into tags' {
        Get-EngramMemory -Store $store shared | Export-Csv -LiteralPath $csv
        Import-Csv -LiteralPath $csv | Set-EngramMemory -Store $store -Namespace copy
        $m = Get-EngramMemory -Store $store copy deploy
        $m.Value | Should -Be 'prod'
        @($m.Tags) | Should -Be @('infra', 'deploy')
        @((Get-EngramMemory -Store $store copy note).Tags) | Should -Be @('solo')
    }

    It 'a hashtable value that Export-Csv turned into its type name is refused, not stored as System.Collections.Hashtable' {
        Set-EngramMemory -Store $store shared conf @{ port = 80 }
        Get-EngramMemory -Store $store shared conf | Export-Csv -LiteralPath $csv
        Import-Csv -LiteralPath $csv | Set-EngramMemory -Store $store -Namespace copy -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.FullyQualifiedErrorId | Should -BeLike 'UnsupportedValueType,*'
        Get-EngramMemory -Store $store copy conf -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'the same text given with -Value on purpose is stored' {
        Set-EngramMemory -Store $store shared typename -Value 'System.Collections.Hashtable'
        (Get-EngramMemory -Store $store shared typename).Value | Should -Be 'System.Collections.Hashtable'
    }

    It 'a CSV Store column does not redirect the write to the store it names' {
        [pscustomobject]@{ Namespace = 'x'; Key = 'k'; Value = 'v'; Store = $other } | Set-EngramMemory -Store $store
        (Get-EngramMemory -Store $store x k).Value | Should -Be 'v'
        Get-EngramMemory -Store $other x k -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'a CSV Store column without -Store writes to the default store, not the named one' {
        $env:ENGRAM_STORE = $store
        try {
            [pscustomobject]@{ Namespace = 'x'; Key = 'k2'; Value = 'v'; Store = $other } | Set-EngramMemory
            (Get-EngramMemory -Store $store x k2).Value | Should -Be 'v'
            @(Get-EngramMemory -Store $other -Namespace x -ErrorAction SilentlyContinue).Count | Should -Be 0
        } finally { Remove-Item Env:ENGRAM_STORE }
    }

    It 'a CSV Branch column does not redirect the write to a branch' {
        New-EngramFork -Store $store shared -Branch idea | Out-Null
        [pscustomobject]@{ Namespace = 'shared'; Key = 'deploy'; Value = 'from csv'; Branch = 'idea' } | Set-EngramMemory -Store $store
        (Get-EngramMemory -Store $store shared deploy).Value | Should -Be 'from csv'
        (Get-EngramMemory -Store $store shared deploy -Branch idea).Value | Should -Be 'prod'
    }

    It 'a memory object piped from another store still goes back to its own store' {
        Set-EngramMemory -Store $other shared there 'old'
        Get-EngramMemory -Store $other shared there | Remove-EngramMemory
        Get-EngramMemory -Store $other shared there -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'a memory object piped from a branch is removed on that branch' {
        New-EngramFork -Store $store shared -Branch idea | Out-Null
        Set-EngramMemory -Store $store shared deploy 'canary' -Branch idea
        Get-EngramMemory -Store $store shared deploy -Branch idea | Remove-EngramMemory
        (Get-EngramMemory -Store $store shared deploy).Value | Should -Be 'prod' -Because 'main keeps it'
        Get-EngramMemory -Store $store shared deploy -Branch idea -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Values' {
    BeforeEach { $store = New-TestStore }

    It 'an OrderedHashtable from ConvertFrom-Json -AsHashtable keeps its key order' {
        $h = '{"zeta":1,"alpha":2,"mid":3}' | ConvertFrom-Json -AsHashtable
        Set-EngramMemory -Store $store shared ordered $h
        @((Get-EngramMemory -Store $store shared ordered).Value.Keys) | Should -Be @('zeta', 'alpha', 'mid')
        Get-Content -Raw (Join-Path $store 'shared/ordered.yaml') | Should -Match '!ordered'
    }

    It 'a piped string binds -Value by value' {
        'hello' | Set-EngramMemory -Store $store notes readme
        (Get-EngramMemory -Store $store notes readme).Value | Should -Be 'hello'
    }

    It 'a piped hashtable is the value itself' {
        @{ a = 1 } | Set-EngramMemory -Store $store notes table
        (Get-EngramMemory -Store $store notes table).Value.a | Should -Be 1
    }

    It 'a [bigint] is refused with UnsupportedValueType and a hint' {
        { Set-EngramMemory -Store $store notes big ([bigint]::Pow(10, 30)) -ErrorAction Stop } | Should -Throw -ErrorId 'UnsupportedValueType,*'
        $err = $null
        Set-EngramMemory -Store $store notes big ([bigint]::Pow(10, 30)) -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].Exception.Message | Should -Match 'decimal'
    }

    It 'an enum is stored by its name and reads back as a string, as documented' {
        Set-EngramMemory -Store $store notes day ([DayOfWeek]::Friday)
        $v = (Get-EngramMemory -Store $store notes day).Value
        $v | Should -BeOfType [string]
        $v | Should -Be 'Friday'
        (Get-Help Set-EngramMemory).description.Text -join ' ' | Should -Match 'enum'
    }
}

Describe 'Merge conflicts' {
    BeforeEach {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared k 'base'
        New-EngramFork -Store $store shared -Branch alt | Out-Null
        Set-EngramMemory -Store $store shared k 'theirs' -Branch alt
        Set-EngramMemory -Store $store shared k 'ours'
    }

    It 'Merge-EngramBranch -ErrorAction SilentlyContinue does not throw and returns the conflicts' {
        $r = $null
        { $script:r = Merge-EngramBranch -Store $store shared -Branch alt -ErrorAction SilentlyContinue } | Should -Not -Throw
        $script:r.Key | Should -Be 'k'
        $script:r.OursValue | Should -Be 'ours'
        $script:r.TheirsValue | Should -Be 'theirs'
        (Get-EngramMemory -Store $store shared k).Value | Should -Be 'ours' -Because 'nothing is merged'
    }

    It 'the conflict is a MergeConflict error that -ErrorAction Stop makes catchable' {
        { Merge-EngramBranch -Store $store shared -Branch alt -ErrorAction Stop } | Should -Throw -ErrorId 'MergeConflict,*'
    }
}

Describe 'Views at 120 columns' {
    BeforeAll {
        $store = New-TestStore
        $ns = 'project-alpha-research-notes'
        $key = 'deploy-target-production-eu-west'
        Set-EngramMemory -Store $store $ns $key 'v' -Tag infra, deploy, prod -TrackProvenance
        Set-EngramMemory -Store $store $ns $key 'w' -Action crystallized -Confidence 0.9
        New-EngramFork -Store $store $ns -Branch experiment-2024 | Out-Null
        Set-EngramMemory -Store $store $ns $key 'x' -Branch experiment-2024
    }

    It 'the memory table shows the whole key and tags' {
        $text = Get-EngramMemory -Store $store $ns | Out-String -Width 120
        $text | Should -Match ([regex]::Escape($key))
        $text | Should -Match 'infra,deploy,prod'
    }

    It 'the provenance table shows the whole action and branch' {
        $text = Get-EngramProvenance -Store $store $ns $key -Branch * | Out-String -Width 120
        $text | Should -Match 'crystallized'
        $text | Should -Match 'experiment-2024'
    }

    It 'the namespace and branch tables show long names whole' {
        Get-EngramNamespace -Store $store $ns | Out-String -Width 120 | Should -Match ([regex]::Escape($ns))
        $branches = Get-EngramBranch -Store $store $ns | Out-String -Width 120
        $branches | Should -Match 'experiment-2024'
        $branches | Should -Match ([regex]::Escape($ns))
    }

    It 'the namespace table shows a namespace of the longest allowed name (64 characters) whole' {
        $longest = 'customer-onboarding-research-notes-2024-q3-experiments-team-alpha'.Substring(0, 64)
        Set-EngramMemory -Store $store $longest k 'v'
        Get-EngramNamespace -Store $store $longest | Out-String -Width 120 | Should -Match ([regex]::Escape($longest))
    }

    It 'the search table shows the whole namespace and key' {
        $text = Find-EngramMemory -Store $store deploy | Out-String -Width 120
        $text | Should -Match ([regex]::Escape($ns))
        $text | Should -Match ([regex]::Escape($key))
    }
}

Describe 'Search scores on <Kind> stores' -ForEach @(@{ Kind = 'File' }, @{ Kind = 'Sqlite' }) {
    BeforeAll {
        $store = New-TestStore -Kind $Kind
        Set-EngramMemory -Store $store notes a 'deploy the service to production today'
        Set-EngramMemory -Store $store notes deploy 'deploy'
        Set-EngramMemory -Store $store notes c 'something else'
    }

    It 'the best hit scores 1 and the others between 0 and 1' {
        $hits = @(Find-EngramMemory -Store $store deploy)
        $hits.Count | Should -Be 2
        $hits[0].Score | Should -Be 1
        $hits[1].Score | Should -BeGreaterThan 0
        $hits[1].Score | Should -BeLessThan 1
        $hits[0].Key | Should -Be 'deploy'
    }

    It 'the table does not show 0.000 for a match' {
        Find-EngramMemory -Store $store deploy | Out-String -Width 120 | Should -Not -Match '0\.000'
    }

    It 'RawScore keeps the backend rank' {
        (Find-EngramMemory -Store $store deploy)[0].RawScore | Should -BeGreaterThan 0
    }
}

Describe 'Documented error ids' {
    BeforeEach { $store = New-TestStore; Set-EngramMemory -Store $store shared k 1 }

    It '-Confidence 1.5 is InvalidConfidence' {
        { Set-EngramMemory -Store $store shared k 2 -Confidence 1.5 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidConfidence,*'
    }

    It 'an empty key is InvalidKey on Set, Get and Remove' {
        { Set-EngramMemory -Store $store shared '' 1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidKey,*'
        { Get-EngramMemory -Store $store shared '' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidKey,*'
        { Remove-EngramMemory -Store $store shared '' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidKey,*'
    }

    It 'Remove-EngramBranch of main is InvalidBranch, not BranchNotFound' {
        { Remove-EngramBranch -Store $store shared main -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBranch,*'
    }

    It 'the error ids are listed in docs/errors.md' {
        $doc = Get-Content -Raw (Join-Path $RepoRoot 'docs/errors.md')
        foreach ($id in 'InvalidConfidence', 'InvalidKey', 'InvalidBranch', 'UnsupportedValueType') { $doc | Should -Match ('`' + $id + '`') }
    }
}

Describe 'Test-EngramProvenance -Anchor on <Kind> stores' -ForEach @(@{ Kind = 'File' }, @{ Kind = 'Sqlite' }) {
    It 'counts each entry once and the memories it checked' {
        $store = New-TestStore -Kind $Kind
        Set-EngramMemory -Store $store shared a 1
        Set-EngramMemory -Store $store shared a 2
        Set-EngramMemory -Store $store shared b 1
        $anchor = Get-EngramProvenance -Store $store shared -Head
        $r = Test-EngramProvenance -Store $store shared -Anchor $anchor
        $r.Healthy | Should -BeTrue
        $r.EntriesChecked | Should -Be 3
        $r.MemoriesChecked | Should -Be 2
        $r.HistoriesChecked | Should -Be 2
    }

    It 'without -Anchor counts the memories it checked too' {
        $store = New-TestStore -Kind $Kind
        Set-EngramMemory -Store $store shared a 1
        Set-EngramMemory -Store $store shared a 2
        $r = Test-EngramProvenance -Store $store shared
        $r.EntriesChecked | Should -Be 2
        $r.MemoriesChecked | Should -Be 1
    }
}

Describe 'Completion' {
    BeforeAll {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared k 1
        New-EngramFork -Store $store shared -Branch idea | Out-Null
        function Complete([string] $line) {
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        }
    }

    It 'Remove-EngramBranch -Branch does not offer main' {
        $c = Complete "Remove-EngramBranch -Store '$store' -Namespace shared -Branch "
        $c | Should -Contain 'idea'
        $c | Should -Not -Contain 'main'
    }

    It 'Merge-EngramBranch -Branch does not offer main' {
        $c = Complete "Merge-EngramBranch -Store '$store' -Namespace shared -Branch "
        $c | Should -Contain 'idea'
        $c | Should -Not -Contain 'main'
    }

    It 'Get-EngramMemory -Branch still offers main' {
        Complete "Get-EngramMemory -Store '$store' -Namespace shared -Branch " | Should -Contain 'main'
    }
}

Describe 'Configuration cmdlets are quiet' {
    BeforeEach { $store = New-TestStore; Initialize-EngramStore -Store $store | Out-Null }

    It 'Set-EngramRetention outputs nothing by default' {
        Set-EngramRetention -Store $store -MaxEntries 5 | Should -BeNullOrEmpty
        (Get-EngramStore -Store $store).Retention -join ';' | Should -Match 'maxEntries: 5'
    }

    It 'Set-EngramRetention -PassThru outputs the store info' {
        (Set-EngramRetention -Store $store -Forever -PassThru).PSTypeNames | Should -Contain 'Engram.StoreInfo'
    }

    It 'Set-EngramEmbedding outputs nothing by default, and the store info with -PassThru' {
        Set-EngramEmbedding -Store $store ollama nomic-embed-text | Should -BeNullOrEmpty
        (Set-EngramEmbedding -Store $store -Disable -PassThru).Embeddings | Should -BeNullOrEmpty
    }
}

Describe 'Copy-EngramStore' {
    It 'has no -Store parameter' {
        (Get-Command Copy-EngramStore).Parameters.ContainsKey('Store') | Should -BeFalse
    }

    It 'still copies a store' {
        $from = New-TestStore; $to = New-TestStore
        Set-EngramMemory -Store $from shared k 'v'
        (Copy-EngramStore $from $to).Healthy | Should -BeTrue
        (Get-EngramMemory -Store $to shared k).Value | Should -Be 'v'
    }
}

Describe 'Help text' {
    It 'Get-Help shows no markdown backticks in descriptions' {
        $help = Get-Help Remove-EngramMemory -Full | Out-String -Width 200
        $help | Should -Match '-LiteralKey'
        ($help -split "`n" | Where-Object { $_ -match '`[^`]+`' -and $_ -notmatch '^\s*PS ' }) | Should -BeNullOrEmpty
    }

    It 'code examples keep their text' {
        (Get-Help Set-EngramMemory -Examples).examples.example[0].code | Should -Match 'Set-EngramMemory'
    }

    It 'hidden plumbing (PSOrigin) is not in help' {
        (Get-Help Get-EngramMemory).parameters.parameter.name | Should -Not -Contain 'PSOrigin'
    }
}

Describe 'Initialize-EngramStore -IfMissing' {
    It 'creates a missing store' {
        $store = New-TestStore
        (Initialize-EngramStore -Store $store -IfMissing -TrackAll).TrackAll | Should -BeTrue
        Test-Path (Join-Path $store 'engram.yaml') | Should -BeTrue
    }

    It 'a second run succeeds quietly and changes nothing' {
        $store = New-TestStore
        Initialize-EngramStore -Store $store -TrackAll | Out-Null
        $before = Get-Content -Raw (Join-Path $store 'engram.yaml')
        $info = Initialize-EngramStore -Store $store -IfMissing -ErrorAction Stop
        $info.TrackAll | Should -BeTrue -Because 'the existing policy is reported as it is'
        Get-Content -Raw (Join-Path $store 'engram.yaml') | Should -BeExactly $before
    }

    It 'without -IfMissing a second run is still StoreAlreadyExists' {
        $store = New-TestStore
        Initialize-EngramStore -Store $store | Out-Null
        { Initialize-EngramStore -Store $store -ErrorAction Stop } | Should -Throw -ErrorId 'StoreAlreadyExists,*'
    }
}

Describe 'Malformed memory files' {
    It 'Find-EngramMemory reports a malformed memory file as a non-terminating error, as Get does' {
        $store = New-TestStore
        Set-EngramMemory -Store $store notes good 'deploy here'
        Set-EngramMemory -Store $store notes bad 'deploy there'
        Set-Content -LiteralPath (Join-Path $store 'notes/bad.yaml') -Value "this: [is not a memory"
        $err = $null
        $hits = Find-EngramMemory -Store $store deploy -ErrorVariable err -ErrorAction SilentlyContinue
        @($hits).Key | Should -Be @('good')
        $err.FullyQualifiedErrorId | Should -BeLike 'MalformedMemoryFile,*'
        $getErr = $null
        Get-EngramMemory -Store $store notes -ErrorVariable getErr -ErrorAction SilentlyContinue | Out-Null
        $getErr.FullyQualifiedErrorId | Should -BeLike 'MalformedMemoryFile,*'
    }
}

Describe 'Provenance' {
    BeforeEach { $store = New-TestStore }

    It 'Get-EngramMemory | Get-EngramProvenance skips untracked memories quietly' {
        Set-EngramMemory -Store $store notes untracked 1
        Set-EngramMemory -Store $store notes tracked 1 -TrackProvenance
        $err = $null
        $entries = Get-EngramMemory -Store $store notes | Get-EngramProvenance -ErrorVariable err
        @($entries).Key | Should -Be @('tracked')
        $err | Should -BeNullOrEmpty
    }

    It 'an untracked key named on the command line is still NoProvenance' {
        Set-EngramMemory -Store $store notes untracked 1
        { Get-EngramProvenance -Store $store notes untracked -ErrorAction Stop } | Should -Throw -ErrorId 'NoProvenance,*'
    }

    It '-AsOf accepts a [DateTimeOffset]' {
        Set-EngramMemory -Store $store shared k 'v1'
        $t = [DateTimeOffset]::UtcNow
        Start-Sleep -Milliseconds 30
        Set-EngramMemory -Store $store shared k 'v2'
        (Get-EngramMemory -Store $store shared k -AsOf $t).Value | Should -Be 'v1'
        (Get-EngramMemory -Store $store shared k -AsOf ([datetime]::UtcNow)).Value | Should -Be 'v2'
    }

    It 'Confidence and Sources are properties of a provenance entry' {
        Set-EngramMemory -Store $store shared obs 'seen'
        Set-EngramMemory -Store $store shared idea 'thought' -Action synthesized -DerivedFrom shared/obs -Confidence 0.7
        $e = Get-EngramProvenance -Store $store shared idea -Latest
        $e.Confidence | Should -Be 0.7
        "$($e.Sources)" | Should -Be 'shared/obs@1'
        $e.Sources[0].Key | Should -Be 'obs'
    }

    It 'Sources pass back to -DerivedFrom' {
        Set-EngramMemory -Store $store shared obs 'seen'
        Set-EngramMemory -Store $store shared idea 'thought' -Action synthesized -DerivedFrom shared/obs
        $sources = (Get-EngramProvenance -Store $store shared idea -Latest).Sources
        Set-EngramMemory -Store $store shared idea2 'again' -Action synthesized -DerivedFrom $sources
        (Get-EngramProvenance -Store $store shared idea2 -Latest).Sources[0].Version | Should -Be 1
    }

    It 'an entry without them has no Confidence and no Sources' {
        Set-EngramMemory -Store $store shared plain 'v'
        $e = Get-EngramProvenance -Store $store shared plain
        $e.Confidence | Should -BeNullOrEmpty
        @($e.Sources).Count | Should -Be 0
    }

    It 'after a merge, -IncludeMerged shows the branch entries between created and merged' {
        Set-EngramMemory -Store $store shared plan 'v1'
        New-EngramFork -Store $store shared -Branch idea | Out-Null
        Set-EngramMemory -Store $store shared plan 'v2' -Branch idea -Reason 'on the branch'
        Merge-EngramBranch -Store $store shared -Branch idea | Out-Null
        @(Get-EngramProvenance -Store $store shared plan).Action | Should -Not -Contain 'revised'
        $story = @(Get-EngramProvenance -Store $store shared plan -IncludeMerged)
        $story.Action[0] | Should -Be 'created'
        $story.Action[-1] | Should -Be 'merged'
        ($story | Where-Object Branch -eq 'idea').Reason | Should -Contain 'on the branch'
        $story.Seq | Should -Be ($story.Seq | Sort-Object)
    }

    It '-IncludeMerged leaves out a branch that was not merged' {
        Set-EngramMemory -Store $store shared plan 'v1'
        New-EngramFork -Store $store shared -Branch draft | Out-Null
        Set-EngramMemory -Store $store shared plan 'v2' -Branch draft
        @(Get-EngramProvenance -Store $store shared plan -IncludeMerged).Branch | Should -Not -Contain 'draft'
    }
}
