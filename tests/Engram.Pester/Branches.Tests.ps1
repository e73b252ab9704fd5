# New-EngramFork, Get-/Remove-EngramBranch and Merge-EngramBranch: forks, three-way merges, conflicts.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'Forks and branches' {
    BeforeEach {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared config 'base'
        Set-EngramMemory -Store $store shared other 'untouched'
    }

    It 'forks a namespace without copying memories' {
        $fork = New-EngramFork -Store $store shared -Branch alt -Reason 'try' -Actor carol
        $fork.Branch | Should -Be 'alt'
        $fork.ForkedFrom | Should -Be 'main'
        $fork.Actor | Should -Be 'carol'
        $fork.ChangedCount | Should -Be 0
    }

    It 'reads main''s value on a fresh branch' {
        $null = New-EngramFork -Store $store shared -Branch alt
        (Get-EngramMemory -Store $store shared config -Branch alt).Value | Should -Be 'base'
    }

    It 'keeps main untouched by a write on the branch' {
        $null = New-EngramFork -Store $store shared -Branch alt
        Set-EngramMemory -Store $store shared config 'other' -Branch alt
        (Get-EngramMemory -Store $store shared config).Value | Should -Be 'base'
        (Get-EngramMemory -Store $store shared config -Branch alt).Value | Should -Be 'other'
    }

    It 'lists branches with their changed count' {
        $null = New-EngramFork -Store $store shared -Branch alt
        Set-EngramMemory -Store $store shared config 'other' -Branch alt
        $b = Get-EngramBranch -Store $store shared alt
        $b.Name | Should -Be 'alt'
        $b.ChangedCount | Should -Be 1
    }

    It 'New-EngramFork -WhatIf creates no branch' {
        New-EngramFork -Store $store shared -Branch alt -WhatIf
        Get-EngramBranch -Store $store shared | Should -BeNullOrEmpty
    }

    It 'refuses a second fork of the same name with BranchAlreadyExists' {
        $null = New-EngramFork -Store $store shared -Branch alt
        { New-EngramFork -Store $store shared -Branch alt -ErrorAction Stop } | Should -Throw -ErrorId 'BranchAlreadyExists,*'
    }

    It 'refuses a fork named main with InvalidBranch' {
        { New-EngramFork -Store $store shared -Branch main -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBranch,*'
    }

    It 'refuses a write to a branch that does not exist with BranchNotFound' {
        { Set-EngramMemory -Store $store shared config 'x' -Branch nope -ErrorAction Stop } | Should -Throw -ErrorId 'BranchNotFound,*'
    }

    It 'forks only some keys and refuses others with KeyNotInBranch' {
        $fork = New-EngramFork -Store $store shared config -Branch narrow
        $fork.Scope | Should -Be 'Keys'
        { Set-EngramMemory -Store $store shared other 'x' -Branch narrow -ErrorAction Stop } | Should -Throw -ErrorId 'KeyNotInBranch,*'
    }

    It 'removes a branch with -Force -Confirm:$false' {
        $null = New-EngramFork -Store $store shared -Branch alt
        Remove-EngramBranch -Store $store shared alt -Force -Confirm:$false
        Get-EngramBranch -Store $store shared | Should -BeNullOrEmpty
    }

    It 'Remove-EngramBranch -WhatIf keeps the branch' {
        $null = New-EngramFork -Store $store shared -Branch alt
        Remove-EngramBranch -Store $store shared alt -WhatIf
        (Get-EngramBranch -Store $store shared).Name | Should -Be 'alt'
    }
}

Describe 'Merge-EngramBranch' {
    BeforeEach {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared config 'base'
        Set-EngramMemory -Store $store shared plan 'v1'
        $null = New-EngramFork -Store $store shared -Branch alt
    }

    It 'merges a clean change into main' {
        Set-EngramMemory -Store $store shared plan 'v2' -Branch alt
        $r = Merge-EngramBranch -Store $store shared -Branch alt -Reason 'ship it' -Confirm:$false
        $r.Applied | Should -BeTrue
        $r.Merged | Should -Be 'plan'
        (Get-EngramMemory -Store $store shared plan).Value | Should -Be 'v2'
        (Get-EngramProvenance -Store $store shared plan -Last 1).Action | Should -Be 'merged'
    }

    It '-WhatIf returns the plan and changes nothing' {
        Set-EngramMemory -Store $store shared plan 'v2' -Branch alt
        $plan = Merge-EngramBranch -Store $store shared -Branch alt -WhatIf
        $plan.Merged | Should -Be 'plan'
        $plan.Applied | Should -BeFalse
        (Get-EngramMemory -Store $store shared plan).Value | Should -Be 'v1'
    }

    It 'stops on a conflict with MergeConflict and leaves main as it was' {
        Set-EngramMemory -Store $store shared config 'ours'
        Set-EngramMemory -Store $store shared config 'theirs' -Branch alt
        { Merge-EngramBranch -Store $store shared -Branch alt -Strategy Fail -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'MergeConflict,*'
        (Get-EngramMemory -Store $store shared config).Value | Should -Be 'ours'
    }

    It 'moves conflicts to new branches with -Strategy ConflictBranch' {
        Set-EngramMemory -Store $store shared config 'ours'
        Set-EngramMemory -Store $store shared config 'theirs' -Branch alt
        Set-EngramMemory -Store $store shared plan 'v2' -Branch alt
        $r = Merge-EngramBranch -Store $store shared -Branch alt -Strategy ConflictBranch -Confirm:$false
        $r.Merged | Should -Be 'plan'
        $r.Conflicted | Should -Be 'config'
        $r.ConflictBranches | Should -HaveCount 1
        (Get-EngramMemory -Store $store shared config).Value | Should -Be 'ours'
        (Get-EngramMemory -Store $store shared config -Branch $r.ConflictBranches[0]).Value | Should -Be 'theirs'
    }

    It 'takes the branch''s side with -Strategy Theirs' {
        Set-EngramMemory -Store $store shared config 'ours'
        Set-EngramMemory -Store $store shared config 'theirs' -Branch alt
        $null = Merge-EngramBranch -Store $store shared -Branch alt -Strategy Theirs -Confirm:$false
        (Get-EngramMemory -Store $store shared config).Value | Should -Be 'theirs'
    }

    It 'keeps main''s side with -Strategy Ours' {
        Set-EngramMemory -Store $store shared config 'ours'
        Set-EngramMemory -Store $store shared config 'theirs' -Branch alt
        $null = Merge-EngramBranch -Store $store shared -Branch alt -Strategy Ours -Confirm:$false
        (Get-EngramMemory -Store $store shared config).Value | Should -Be 'ours'
    }

    It 'reports an unchanged memory as Unchanged, not Merged' {
        Set-EngramMemory -Store $store shared plan 'v2' -Branch alt
        Set-EngramMemory -Store $store shared plan 'v2'
        $r = Merge-EngramBranch -Store $store shared -Branch alt -Confirm:$false
        $r.Merged | Should -BeNullOrEmpty
    }

    It 'refuses a branch that does not exist with BranchNotFound' {
        { Merge-EngramBranch -Store $store shared -Branch nope -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'BranchNotFound,*'
    }
}
