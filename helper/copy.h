/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfscache-helper: the copy engine. Copies many files at once through one
 * io_uring ring, each as linked splice pairs source -> pipe -> destination
 * and a final writeback of the destination in the ring; a big file is cut
 * into ranges copied at once, each through its own pipe. Files below a
 * threshold (none by default) take sendfile(), one at a time, and ranges
 * whose splice or sendfile fails take plain pread/pwrite. The holes of a
 * sparse source (SEEK_HOLE/SEEK_DATA) are not copied: the destination keeps
 * them.
 */
#ifndef NFSC_HELPER_COPY_H
#define NFSC_HELPER_COPY_H

#include <stdbool.h>
#include <stdint.h>

enum nfsc_engine {
	NFSC_ENGINE_SPLICE,	/* io_uring linked splice pairs */
	NFSC_ENGINE_PLAIN,	/* pread/pwrite */
	NFSC_ENGINE_SENDFILE,	/* sendfile(): files below the threshold */
};

const char *nfsc_engine_name(enum nfsc_engine engine);

struct nfsc_copy_opts {
	unsigned int max_inflight;	/* pipes (ranges) in the ring at once */
	unsigned int max_ranges;	/* ranges of one file copied at once */
	uint64_t range_min;		/* no range is smaller than this */
	unsigned int pipe_size;		/* F_SETPIPE_SZ for each copy's pipe */
	unsigned int chunk;		/* bytes asked of one splice pair */
	unsigned int big_pipe_size;	/* pipe and chunk of a big file's ranges */
	uint64_t big_file;		/* files this big take big_pipe_size */
	uint64_t splice_threshold;	/* smaller files take sendfile() */
	bool no_splice;			/* plain I/O for everything */
};

/*
 * make bench's tree fill (300 files of 64 KiB-4 MiB) through the ring:
 * files/s rose with copies in flight up to 16, the most it tried; and every
 * one of those beat sendfile(), the fastest engine for one file alone,
 * copying the files one at a time. So by default no file takes sendfile().
 */
#define NFSC_COPY_DEFAULT_INFLIGHT	16
#define NFSC_COPY_DEFAULT_PIPE_SIZE	(1U << 20)
#define NFSC_COPY_DEFAULT_THRESHOLD	0

/*
 * make bench's first read of a 256 MiB file beside its fill kept up
 * better with the fill's pipes at 4 MiB (fewer rounds, and fewer, larger
 * O_DIRECT writes, each an exit to the emulated disk's device): 0.90-0.96
 * of a plain NFS read against 0.82-0.86 with 1 MiB pipes, and the 1 GiB
 * fill ran faster. But the tree fill (files of 64 KiB-4 MiB) was slower
 * with 4 MiB pipes every time. So only files of 32 MiB and more take the
 * big pipes.
 */
#define NFSC_COPY_DEFAULT_BIG_PIPE_SIZE	(4U << 20)
#define NFSC_COPY_DEFAULT_BIG_FILE	(32ULL << 20)

/*
 * One splice chain keeps about one CPU busy, like cp. In the test VM (2
 * vCPUs, the NFS server on them too), dd of the 2 halves of a 256 MiB NFS
 * file at once was 1.3 times as fast as one dd of all of it; 4 quarters
 * were no faster than 2 halves.
 */
#define NFSC_COPY_MAX_RANGES		8
#define NFSC_COPY_DEFAULT_RANGES	2
#define NFSC_COPY_DEFAULT_RANGE_MIN	(32ULL << 20)

/*
 * Each seek of an NFS file is a round trip the daemon waits for: past
 * this many a copy, the rest of a sparse file is copied as data.
 */
#define NFSC_COPY_MAX_SEEKS		1024

void nfsc_copy_opts_default(struct nfsc_copy_opts *opts);

struct nfsc_copy;
typedef void (*nfsc_copy_done_fn)(struct nfsc_copy *copy);

/* One range [start, end) of a copy and its pipe: engine state. */
struct nfsc_range {
	struct nfsc_copy *copy;
	int pipe[2];
	uint64_t start, end;
	uint64_t off_in;		/* next offset moved into the pipe */
	uint64_t off_out;		/* next offset written */
	uint64_t in_pipe;		/* bytes sitting in the pipe */
	uint64_t data_end;		/* the source's data run ends here */
	bool at_hole;			/* ... where a hole starts */
	uint64_t claimed_end;		/* its data up to here is budgeted */
	unsigned int chunk;		/* bytes asked of its source splice */
	int round_want, round_got;	/* CQEs expected / seen this round */
	int res_in, res_out;
	bool round_in;			/* this round has a source splice */
	bool eof;
};

/* One file to copy: the caller fills the first block and keeps it alive. */
struct nfsc_copy {
	int src;			/* read from offset 0 */
	int dst;			/* written from offset 0 */
	uint64_t size;			/* exactly this many bytes */
	nfsc_copy_done_fn done;		/* called once, when it has ended */
	void *priv;
	/*
	 * Optional: with grow set, the copy writes at most data_budget bytes
	 * of data (holes are free). Before a data run would pass it, the copy
	 * calls grow() with the budget it needs, which raises data_budget to
	 * that or more and returns 0, or returns a -errno that fails the copy.
	 * Each run is counted once, when its first byte is asked for, so
	 * that a dense source asks for each range's rest at once.
	 */
	uint64_t data_budget;
	int (*grow)(struct nfsc_copy *copy, uint64_t need);

	/* Results, valid in done(); copied also while the copy runs. */
	int error;			/* 0, or a negative errno */
	uint64_t copied;		/* bytes done (written, or holes) */
	uint64_t holes;			/* of those, holes left unwritten */
	enum nfsc_engine engine;	/* the engine that finished it */
	char fallback[128];		/* why splice was not used, if so */
	unsigned int resubmits;		/* pipe drains after a short splice */
	unsigned int pipe_size;		/* the smallest pipe of its ranges */
	bool direct_dropped;		/* O_DIRECT refused a piece (the tail) */

	/* Engine state. */
	bool sparse;			/* the source may have holes */
	unsigned int seeks;		/* SEEK_DATA/SEEK_HOLE asked */
	uint64_t data_claimed;		/* data bytes budgeted so far */
	struct nfsc_range range[NFSC_COPY_MAX_RANGES];
	unsigned int nranges;		/* ranges with a pipe in the ring */
	unsigned int running;		/* of those, not ended */
};

/*
 * Does @fd, of @size bytes, take fewer blocks than bytes (may it have
 * holes)? *@used is then the bytes its blocks take, in whole 4 KiB blocks:
 * what its copy writes at most, unless the blocks are compressed.
 */
bool nfsc_copy_sparse_source(int fd, uint64_t size, uint64_t *used);

/* Bytes from offset 0 on that are all written (a checksum may read them). */
uint64_t nfsc_copy_prefix(const struct nfsc_copy *copy);

/* Close the pipes of a copy abandoned in a freed copier. */
void nfsc_copy_close_pipes(struct nfsc_copy *copy);

struct nfsc_copier;

/*
 * A copier; io_uring is optional: without it (old kernel, disabled by
 * sysctl) every copy takes plain I/O and *why says so. NULL and -errno in
 * *err only when memory runs out or the options are invalid.
 */
struct nfsc_copier *nfsc_copier_new(const struct nfsc_copy_opts *opts,
				    const char **why, int *err);
void nfsc_copier_free(struct nfsc_copier *cp);

/* Start a copy. Plain copies run to the end here; done() is called. */
void nfsc_copier_start(struct nfsc_copier *cp, struct nfsc_copy *copy);

/* The ring's fd, readable when completions wait; -1 without a ring. */
int nfsc_copier_fd(const struct nfsc_copier *cp);

/* Pipes (ranges of copies) in the ring, and room for another copy. */
unsigned int nfsc_copier_inflight(const struct nfsc_copier *cp);
/* Copies in the ring, each of one pipe or more. */
unsigned int nfsc_copier_copies(const struct nfsc_copier *cp);
bool nfsc_copier_has_room(const struct nfsc_copier *cp);

/*
 * Close @fd in the ring (close(2) without one): the last close of an NFS
 * file waits for the server's CLOSE, which the ring's worker waits
 * instead of the caller. Closed once a later run reaps it.
 */
void nfsc_copier_close(struct nfsc_copier *cp, int fd);
/* Closes in the ring not reaped yet. */
unsigned int nfsc_copier_closes(const struct nfsc_copier *cp);

/*
 * Reap completions and move copies on; blocks for at least one completion
 * when @wait and anything is in flight. Returns 0 or a negative errno for
 * a failure of the ring itself. A submit the kernel refused for now
 * leaves its entries queued, and this returns without blocking: run again
 * soon while nfsc_copier_deferred() says so.
 */
int nfsc_copier_run(struct nfsc_copier *cp, bool wait);
/* Entries wait in the ring for a submit: its -errno (EAGAIN...), else 0. */
int nfsc_copier_deferred(const struct nfsc_copier *cp);

#endif
