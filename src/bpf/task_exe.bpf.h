/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * task_exe.bpf.h - the executable of one process, for JSON's
 * process.executable (common/procinfo.c reads it).
 *
 * /proc/PID/exe would do, but reading it needs ptrace access to the process
 * (its user, or CAP_SYS_PTRACE), and socket-snoop holds no capability once
 * started.  An iterator needs none to run: user space links this program to
 * one task (the link's task filter, Linux 6.1 and later) and reads what it
 * writes: the task's PID, then its executable's path and a NUL.
 *
 * The path is put together here, name by name up the dentries and across
 * mounts, as the kernel's d_path() does: bpf_d_path() itself refuses the
 * file an iterator reaches through task->mm (an untrusted pointer to the
 * verifier).  It stops at the reader's root (this process's), or at the
 * root of the file's own mount namespace when that is not under ours (a
 * container's executable, as the container sees it).  Unlike d_path() it
 * adds no " (deleted)".  A path deeper than EXE_DEPTH names, or longer than
 * SNOOP_EXE_PATH_MAX, is not written.  Every read is a probe read: a
 * dentry renamed meanwhile gives a torn name at worst, never a fault.
 */
#ifndef SNOOP_TASK_EXE_BPF_H
#define SNOOP_TASK_EXE_BPF_H

#include "common.bpf.h"

#define EXE_DEPTH 64	 /* names and mount crossings walked */
#define EXE_NAME_MAX 255 /* NAME_MAX */
#define EXE_MASK (SNOOP_EXE_PATH_MAX - 1)

/*
 * Built backwards from the end of its first half: twice the size, so that a
 * masked offset plus a name's length stays inside for the verifier.
 */
char task_exe_buf[2 * SNOOP_EXE_PATH_MAX];

/* The walk up from the executable, one step per bpf_loop() callback. */
struct exe_walk {
	struct dentry *dentry, *root_dentry;
	struct vfsmount *vfsmnt, *root_mnt;
	struct mount *mnt;
	__u32 off; /* where the path built so far begins in task_exe_buf */
	bool whole;
};

/*
 * One name prepended, or one mount crossed.  A callback: the verifier
 * checks it once, not once per step (a loop of EXE_DEPTH steps took it
 * 1.7 s at load).  1 stops the walk.
 */
static long exe_step(__u32 i, struct exe_walk *w)
{
	/* Copied out: a CO-RE read of w->x->y would relocate struct exe_walk too. */
	struct dentry *dentry = w->dentry, *mnt_root, *parent;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt, *mnt_parent;
	const unsigned char *name;
	__u32 len;

	if (dentry == w->root_dentry && vfsmnt == w->root_mnt) {
		w->whole = true;
		return 1;
	}
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == mnt_root || dentry == parent) {
		mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		/* The root of a mount namespace: as far as the file's own goes. */
		if (mnt_parent == mnt || !mnt_parent) {
			w->whole = true;
			return 1;
		}
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		w->vfsmnt = &mnt_parent->mnt;
		return 0;
	}
	len = BPF_CORE_READ(dentry, d_name.len);
	name = BPF_CORE_READ(dentry, d_name.name);
	if (len > EXE_NAME_MAX || w->off > EXE_MASK || len + 1 > w->off)
		return 1;
	w->off -= len;
	if (bpf_probe_read_kernel(&task_exe_buf[w->off & EXE_MASK], len & EXE_NAME_MAX, name))
		return 1;
	w->off--;
	task_exe_buf[w->off & EXE_MASK] = '/';
	w->dentry = parent;
	return 0;
}

SEC("iter/task")
int task_exe(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task, *me = bpf_get_current_task_btf();
	struct exe_walk w = { .off = SNOOP_EXE_PATH_MAX - 1 };
	struct file *exe;
	__u32 off, pid;

	if (!task)
		return 0;
	/* No mm: a kernel thread, or a process exiting. */
	exe = BPF_CORE_READ(task, mm, exe_file);
	if (!exe)
		return 0;
	w.dentry = BPF_CORE_READ(exe, f_path.dentry);
	w.vfsmnt = BPF_CORE_READ(exe, f_path.mnt);
	w.root_dentry = BPF_CORE_READ(me, fs, root.dentry);
	w.root_mnt = BPF_CORE_READ(me, fs, root.mnt);
	w.mnt = container_of(w.vfsmnt, struct mount, mnt);
	task_exe_buf[SNOOP_EXE_PATH_MAX - 1] = '\0';
	bpf_loop(EXE_DEPTH, exe_step, &w, 0);
	off = w.off;
	if (!w.whole || off > SNOOP_EXE_PATH_MAX - 1)
		return 0;
	/* The root itself. */
	if (off == SNOOP_EXE_PATH_MAX - 1) {
		off--;
		task_exe_buf[off] = '/';
	}
	pid = (__u32)task->tgid;
	bpf_seq_write(ctx->meta->seq, &pid, sizeof(pid));
	/* The path and its NUL: SNOOP_EXE_PATH_MAX - off bytes, 2 to SNOOP_EXE_PATH_MAX. */
	bpf_seq_write(ctx->meta->seq, &task_exe_buf[off], SNOOP_EXE_PATH_MAX - off);
	return 0;
}

#endif
