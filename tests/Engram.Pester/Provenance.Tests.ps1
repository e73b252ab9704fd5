# History: Get-/Export-/Test-EngramProvenance, Compare- and Restore-EngramMemory, -AsOf, retention.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'Get-EngramProvenance' {
    BeforeEach {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared deploy-target 'staging' -Actor alice -Reason 'first environment'
        Set-EngramMemory -Store $store shared deploy-target 'production' -Actor bob -Reason 'go live'
    }

    It 'lists every version, oldest first, with actor, reason and value' {
        $p = Get-EngramProvenance -Store $store shared deploy-target
        $p | Should -HaveCount 2
        $p.Action | Should -Be @('created', 'revised')
        $p.Actor | Should -Be @('alice', 'bob')
        $p.Reason | Should -Be @('first environment', 'go live')
        $p.Value | Should -Be @('staging', 'production')
    }

    It 'chains the entries by hash' {
        $p = Get-EngramProvenance -Store $store shared deploy-target
        $p[0].PrevHash | Should -BeNullOrEmpty
        $p[1].PrevHash | Should -Be $p[0].Hash
        $p[1].Hash | Should -Match '^[0-9a-f]{64}$'
    }

    It '-Last 1 gives the latest entry' {
        (Get-EngramProvenance -Store $store shared deploy-target -Last 1).Value | Should -Be 'production'
    }

    It '-Latest blames the last change of each memory' {
        Set-EngramMemory -Store $store shared other 1 -Actor carol
        $blame = Get-EngramProvenance -Store $store shared -Latest | Sort-Object Key
        $blame.Key | Should -Be @('deploy-target', 'other')
        $blame.Actor | Should -Be @('bob', 'carol')
    }

    It 'groups the history by actor' {
        Set-EngramMemory -Store $store shared deploy-target 'canary' -Actor bob
        $byActor = Get-EngramProvenance -Store $store shared deploy-target | Group-Object Actor | Sort-Object Name
        $byActor.Name | Should -Be @('alice', 'bob')
        $byActor | ForEach-Object Count | Should -Be @(1, 2)
    }

    It 'exports the history to CSV' {
        $csv = Join-Path $TestDrive 'history.csv'
        Get-EngramProvenance -Store $store shared deploy-target | Select-Object Seq, Action, Actor, Reason | Export-Csv $csv
        $rows = Import-Csv $csv
        $rows.Actor | Should -Be @('alice', 'bob')
        $rows.Seq | Should -Be @('1', '2')
    }

    It 'writes NoProvenance for an untracked memory' {
        Set-EngramMemory -Store $store session scratch 1
        { Get-EngramProvenance -Store $store session scratch -ErrorAction Stop } | Should -Throw -ErrorId 'NoProvenance,*'
    }

    It 'tracks an untracked namespace with -TrackProvenance' {
        Set-EngramMemory -Store $store session scratch 1 -TrackProvenance
        (Get-EngramProvenance -Store $store session scratch).Action | Should -Be 'created'
    }

    It '-Head returns the namespace digest' {
        $head = Get-EngramProvenance -Store $store shared -Head
        $head.Namespace | Should -Be 'shared'
        $head.Digest | Should -Match '^sha256:[0-9a-f]{64}$'
        $head.Entries.Key | Should -Contain 'deploy-target'
    }
}

Describe 'Compare-EngramMemory and Restore-EngramMemory' {
    BeforeEach {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared config @{ port = 8080; host = 'a' }
        Set-EngramMemory -Store $store shared config @{ port = 9090; host = 'a' }
    }

    It 'compares the last two versions per property' {
        $diff = Compare-EngramMemory -Store $store shared config
        $diff | Should -HaveCount 1
        $diff.Path | Should -Be 'port'
        $diff.Change | Should -Be 'Modified'
        $diff.Before | Should -Be 8080
        $diff.After | Should -Be 9090
    }

    It 'compares two chosen versions' {
        Set-EngramMemory -Store $store shared config @{ port = 9090; host = 'b' }
        $diff = Compare-EngramMemory -Store $store shared config -FromVersion 1 -ToVersion 3 | Sort-Object Path
        $diff.Path | Should -Be @('host', 'port')
    }

    It 'restores an old value as a new version' {
        $m = Restore-EngramMemory -Store $store shared config -Version 1 -PassThru -Confirm:$false
        $m.Version | Should -Be 3
        $m.Value.port | Should -Be 8080
        (Get-EngramProvenance -Store $store shared config -Last 1).Action | Should -Be 'restored'
    }

    It 'Restore -WhatIf changes nothing' {
        Restore-EngramMemory -Store $store shared config -Version 1 -WhatIf
        (Get-EngramMemory -Store $store shared config).Version | Should -Be 2
    }

    It 'refuses a version that does not exist with VersionNotFound' {
        { Restore-EngramMemory -Store $store shared config -Version 7 -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'VersionNotFound,*'
    }
}

Describe 'Export-EngramProvenance' {
    BeforeEach {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared k 'one' -Actor alice -Reason 'start'
        Set-EngramMemory -Store $store shared k 'two' -Actor bob
    }

    It 'exports JSON that ConvertFrom-Json reads' {
        $entries = Export-EngramProvenance -Store $store shared k -Format Json | ConvertFrom-Json
        $entries | Should -HaveCount 2
        $entries.actor | Should -Be @('alice', 'bob')
        $entries[1].prevHash | Should -Be $entries[0].hash
    }

    It 'exports W3C PROV-JSON' {
        $prov = Export-EngramProvenance -Store $store shared k -Format ProvJson | ConvertFrom-Json
        $prov.entity | Should -Not -BeNullOrEmpty
        $prov.agent | Should -Not -BeNullOrEmpty
    }

    It 'exports a Mermaid diagram' {
        (Export-EngramProvenance -Store $store shared k -Format Mermaid) -join "`n" | Should -Match 'graph|flowchart|gitGraph'
    }

    It 'exports a tree naming the actors' {
        $tree = (Export-EngramProvenance -Store $store shared k -Format Tree) -join "`n"
        $tree | Should -Match 'alice'
        $tree | Should -Match 'bob'
    }

    It 'writes -Path and refuses to overwrite it without -Force (OutputFileExists)' {
        $out = Join-Path $TestDrive 'k.json'
        Export-EngramProvenance -Store $store shared k -Format Json -Path $out
        (Get-Content -Raw $out | ConvertFrom-Json) | Should -HaveCount 2
        { Export-EngramProvenance -Store $store shared k -Format Json -Path $out -ErrorAction Stop } | Should -Throw -ErrorId 'OutputFileExists,*'
        Export-EngramProvenance -Store $store shared k -Format Json -Path $out -Force
    }
}

Describe 'Test-EngramProvenance, -AsOf and retention' {
    BeforeEach {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared a 1
        Set-EngramMemory -Store $store shared a 2
    }

    It 'verifies an intact chain' {
        $r = Test-EngramProvenance -Store $store shared
        $r.Healthy | Should -BeTrue
        $r.Findings | Should -BeNullOrEmpty
    }

    It '-Quiet returns a single boolean' {
        Test-EngramProvenance -Store $store shared -Quiet | Should -BeExactly $true
    }

    It 'detects a rewritten history file' {
        $history = Get-ChildItem -Recurse -File (Join-Path $store '_provenance') | Select-Object -First 1
        (Get-Content -Raw $history.FullName) -replace 'created', 'revised' | Set-Content -NoNewline $history.FullName
        Test-EngramProvenance -Store $store shared -Quiet -ErrorAction SilentlyContinue | Should -BeFalse
    }

    It 'accepts history that grew since a kept -Anchor' {
        $anchor = Get-EngramProvenance -Store $store shared -Head
        Test-EngramProvenance -Store $store shared -Anchor $anchor -Quiet | Should -BeTrue
        Set-EngramMemory -Store $store shared a 3
        Test-EngramProvenance -Store $store shared -Anchor $anchor -Quiet | Should -BeTrue
    }

    It '-AsOf shows the namespace as it was' {
        $before = Get-Date
        Start-Sleep -Milliseconds 50
        Set-EngramMemory -Store $store shared a 3
        (Get-EngramMemory -Store $store shared a -AsOf $before).Value | Should -Be 2
        (Get-EngramMemory -Store $store shared a).Value | Should -Be 3
    }

    It 'Set-EngramRetention records the policy in the store' {
        $null = Set-EngramRetention -Store $store -Namespace session -MaxAge 7.00:00:00
        (Get-EngramStore -Store $store).Retention | Out-String | Should -Match 'session'
    }

    It 'Optimize-EngramProvenance -WhatIf removes nothing' {
        $before = Get-EngramProvenance -Store $store shared a
        $null = Optimize-EngramProvenance -Store $store -WhatIf
        (Get-EngramProvenance -Store $store shared a) | Should -HaveCount $before.Count
    }

    It 'Optimize-EngramProvenance squashes history past -MaxEntries' {
        3..6 | ForEach-Object { Set-EngramMemory -Store $store shared a $_ }
        $null = Set-EngramRetention -Store $store -Namespace shared -MaxEntries 2
        $report = Optimize-EngramProvenance -Store $store -Namespace shared -Confirm:$false
        $report.EntriesRemoved | Should -BeGreaterThan 0
        Test-EngramProvenance -Store $store shared -Quiet | Should -BeTrue
        (Get-EngramMemory -Store $store shared a).Value | Should -Be 6
    }
}
