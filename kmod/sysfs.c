// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: /sys/fs/nfs_cachefs/<id>/, one directory per mount.
 *
 * Tunables are read and written as text, one value per file; a value that
 * does not parse or is out of range is refused with -EINVAL and the old
 * value stays. stats/ holds the counters. The directory lives as long as
 * the superblock: nfsc_sysfs_del() waits until no reader is left.
 */
#include "internal.h"

#include <linux/idr.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/string.h>

static struct kset *nfsc_kset;
static DEFINE_IDA(nfsc_mount_ida);
/*
 * Where the next mount's id is looked for, under nfsc_mounts_lock. Ids go
 * up and are not given again until they wrap: an id a daemon or a script
 * kept from an unmounted stack names no other mount.
 */
static int nfsc_next_mount_id = 1;

/* Every mount with an id, for listings over netlink. */
DEFINE_MUTEX(nfsc_mounts_lock);
LIST_HEAD(nfsc_mounts);

/*
 * One attribute: a u64 tunable or an atomic64_t counter at @offset in
 * struct nfsc_sb_info, or a value with its own show/store.
 */
struct nfsc_attr {
	struct attribute attr;
	ssize_t (*show)(struct nfsc_sb_info *sbi, const struct nfsc_attr *a,
			char *buf);
	ssize_t (*store)(struct nfsc_sb_info *sbi, const struct nfsc_attr *a,
			 const char *buf);
	size_t offset;
	u64 min, max;
};

static ssize_t nfsc_attr_show(struct kobject *kobj, struct attribute *attr,
			      char *buf)
{
	struct nfsc_sb_info *sbi = container_of(kobj, struct nfsc_sb_info, kobj);
	struct nfsc_attr *a = container_of(attr, struct nfsc_attr, attr);

	return a->show(sbi, a, buf);
}

static ssize_t nfsc_attr_store(struct kobject *kobj, struct attribute *attr,
			       const char *buf, size_t len)
{
	struct nfsc_sb_info *sbi = container_of(kobj, struct nfsc_sb_info, kobj);
	struct nfsc_attr *a = container_of(attr, struct nfsc_attr, attr);
	ssize_t ret;

	if (!a->store)
		return -EPERM;
	ret = a->store(sbi, a, buf);
	return ret < 0 ? ret : len;
}

static const struct sysfs_ops nfsc_sysfs_ops = {
	.show	= nfsc_attr_show,
	.store	= nfsc_attr_store,
};

/* --- tunables ------------------------------------------------------------ */

static u64 *nfsc_field_u64(struct nfsc_sb_info *sbi, const struct nfsc_attr *a)
{
	return (u64 *)((char *)sbi + a->offset);
}

static ssize_t nfsc_show_u64(struct nfsc_sb_info *sbi,
			     const struct nfsc_attr *a, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(*nfsc_field_u64(sbi, a)));
}

/* Orders writers of tunables (sysfs and SET), so min_size <= max_size. */
static DEFINE_MUTEX(nfsc_tunables_lock);

static ssize_t nfsc_store_u64(struct nfsc_sb_info *sbi,
			      const struct nfsc_attr *a, const char *buf)
{
	ssize_t err = -EINVAL;
	u64 v;

	if (kstrtou64(buf, 0, &v) || v < a->min || v > a->max)
		return -EINVAL;
	mutex_lock(&nfsc_tunables_lock);
	if (a->offset == offsetof(struct nfsc_sb_info, tun.min_size) &&
	    v > sbi->tun.max_size)
		goto out;
	if (a->offset == offsetof(struct nfsc_sb_info, tun.max_size) &&
	    v < sbi->tun.min_size)
		goto out;
	WRITE_ONCE(*nfsc_field_u64(sbi, a), v);
	err = 0;
out:
	mutex_unlock(&nfsc_tunables_lock);
	return err;
}

#define NFSC_TUNABLE(_name, _field, _min, _max) {			\
	.attr	= { .name = _name, .mode = 0644 },			\
	.show	= nfsc_show_u64,					\
	.store	= nfsc_store_u64,					\
	.offset	= offsetof(struct nfsc_sb_info, _field),		\
	.min	= _min,							\
	.max	= _max,							\
}

static struct nfsc_attr nfsc_attr_enabled =
	NFSC_TUNABLE("enabled", tun.enabled, 0, 1);
static struct nfsc_attr nfsc_attr_min_size =
	NFSC_TUNABLE("min_size", tun.min_size, 0, U64_MAX);
static struct nfsc_attr nfsc_attr_max_size =
	NFSC_TUNABLE("max_size", tun.max_size, 0, U64_MAX);
static struct nfsc_attr nfsc_attr_fill_timeout_ms =
	NFSC_TUNABLE("fill_timeout_ms", tun.fill_timeout_ms, 100,
		     24ULL * 3600 * 1000);
static struct nfsc_attr nfsc_attr_max_pending =
	NFSC_TUNABLE("max_pending", tun.max_pending, 1, 1U << 20);
static struct nfsc_attr nfsc_attr_max_held =
	NFSC_TUNABLE("max_held", tun.max_held, 0, 1U << 20);

void nfsc_tunables_default(struct nfsc_tunables *tun)
{
	*tun = (struct nfsc_tunables){
		.enabled		= 1,
		.min_size		= 0,
		.max_size		= U64_MAX,
		.revalidate		= (u64)NFSC_REVAL_CTO << 32,
		.fill_timeout_ms	= 60000,
		.max_pending		= 1024,
		.max_held		= 1024,
	};
}

static ssize_t revalidate_show(struct nfsc_sb_info *sbi,
			       const struct nfsc_attr *a, char *buf)
{
	u64 v = READ_ONCE(sbi->tun.revalidate);

	switch (v >> 32) {
	case NFSC_REVAL_TTL:
		return sysfs_emit(buf, "ttl:%u\n", (u32)v);
	case NFSC_REVAL_NEVER:
		return sysfs_emit(buf, "never\n");
	default:
		return sysfs_emit(buf, "cto\n");
	}
}

/* "cto", "never" or "ttl:<ms>" (1 ms to about 49 days). */
static ssize_t revalidate_store(struct nfsc_sb_info *sbi,
				const struct nfsc_attr *a, const char *buf)
{
	u32 ms = 0;
	u64 mode;

	if (sysfs_streq(buf, "cto")) {
		mode = NFSC_REVAL_CTO;
	} else if (sysfs_streq(buf, "never")) {
		mode = NFSC_REVAL_NEVER;
	} else if (!strncmp(buf, "ttl:", 4)) {
		if (kstrtou32(buf + 4, 10, &ms) || !ms)
			return -EINVAL;
		mode = NFSC_REVAL_TTL;
	} else {
		return -EINVAL;
	}
	WRITE_ONCE(sbi->tun.revalidate, mode << 32 | ms);
	return 0;
}

/* --- read-only information ------------------------------------------------ */

static ssize_t lowerdir_show(struct nfsc_sb_info *sbi,
			     const struct nfsc_attr *a, char *buf)
{
	return sysfs_emit(buf, "%s\n", sbi->lowerdir);
}

static ssize_t cachedir_show(struct nfsc_sb_info *sbi,
			     const struct nfsc_attr *a, char *buf)
{
	return sysfs_emit(buf, "%s\n", sbi->cachedir);
}

/* The st_dev of the mount, as /proc/self/mountinfo shows it. */
static ssize_t dev_show(struct nfsc_sb_info *sbi, const struct nfsc_attr *a,
			char *buf)
{
	return sysfs_emit(buf, "%u:%u\n", MAJOR(sbi->sb->s_dev),
			  MINOR(sbi->sb->s_dev));
}

static struct nfsc_attr nfsc_attr_revalidate = __ATTR_RW(revalidate);
static struct nfsc_attr nfsc_attr_lowerdir = __ATTR_RO(lowerdir);
static struct nfsc_attr nfsc_attr_cachedir = __ATTR_RO(cachedir);
static struct nfsc_attr nfsc_attr_dev = __ATTR_RO(dev);

static struct attribute *nfsc_mount_attrs[] = {
	&nfsc_attr_enabled.attr,
	&nfsc_attr_min_size.attr,
	&nfsc_attr_max_size.attr,
	&nfsc_attr_revalidate.attr,
	&nfsc_attr_fill_timeout_ms.attr,
	&nfsc_attr_max_pending.attr,
	&nfsc_attr_max_held.attr,
	&nfsc_attr_lowerdir.attr,
	&nfsc_attr_cachedir.attr,
	&nfsc_attr_dev.attr,
	NULL,
};

static const struct attribute_group nfsc_mount_group = {
	.attrs = nfsc_mount_attrs,
};

/* --- the same over netlink (SET, GET) ---------------------------------- */

static struct nfsc_attr *nfsc_attr_by_name(const char *key)
{
	struct attribute **a;

	for (a = nfsc_mount_attrs; *a; a++)
		if (!strcmp((*a)->name, key))
			return container_of(*a, struct nfsc_attr, attr);
	return NULL;
}

/* Set the tunable @key as writing its sysfs file would. */
int nfsc_tunable_set(struct nfsc_sb_info *sbi, const char *key,
		     const char *value, const char **why)
{
	struct nfsc_attr *a = nfsc_attr_by_name(key);
	ssize_t ret;

	if (!a) {
		*why = "no such tunable";
		return -ENOENT;
	}
	if (!a->store) {
		*why = "read-only";
		return -EPERM;
	}
	ret = a->store(sbi, a, value);
	if (ret < 0)
		*why = "invalid value (see nfs_cachefs(5) for the range)";
	return ret < 0 ? ret : 0;
}

/*
 * The value of @key as its sysfs file shows it, without the newline, in
 * @page (a whole page: sysfs_emit() wants one).
 */
int nfsc_tunable_get(struct nfsc_sb_info *sbi, const char *key, char *page,
		     const char **why)
{
	struct nfsc_attr *a = nfsc_attr_by_name(key);
	ssize_t len;

	if (!a) {
		*why = "no such tunable";
		return -ENOENT;
	}
	len = a->show(sbi, a, page);
	if (len < 0)
		return len;
	page[len && page[len - 1] == '\n' ? len - 1 : len] = '\0';
	return 0;
}

/* --- stats/ ------------------------------------------------------------- */

static ssize_t nfsc_show_stat(struct nfsc_sb_info *sbi,
			      const struct nfsc_attr *a, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read((atomic64_t *)((char *)sbi + a->offset)));
}

#define NFSC_STAT(_name, _field) {					\
	.attr	= { .name = _name, .mode = 0444 },			\
	.show	= nfsc_show_stat,					\
	.offset	= offsetof(struct nfsc_sb_info, _field),		\
}

static struct nfsc_attr nfsc_stat_hits = NFSC_STAT("hits", stats.hits);
static struct nfsc_attr nfsc_stat_misses = NFSC_STAT("misses", stats.misses);
static struct nfsc_attr nfsc_stat_fills_ok =
	NFSC_STAT("fills_ok", stats.fills_ok);
static struct nfsc_attr nfsc_stat_fills_failed =
	NFSC_STAT("fills_failed", stats.fills_failed);
static struct nfsc_attr nfsc_stat_stale = NFSC_STAT("stale", stats.stale);
static struct nfsc_attr nfsc_stat_bytes_cache =
	NFSC_STAT("bytes_cache", stats.bytes_cache);
static struct nfsc_attr nfsc_stat_bytes_lower =
	NFSC_STAT("bytes_lower", stats.bytes_lower);
static struct nfsc_attr nfsc_stat_pending =
	NFSC_STAT("pending", stats.pending);
static struct nfsc_attr nfsc_stat_filling =
	NFSC_STAT("filling", stats.filling);
static struct nfsc_attr nfsc_stat_culled = NFSC_STAT("culled", stats.culled);

static struct attribute *nfsc_stats_attrs[] = {
	&nfsc_stat_hits.attr,
	&nfsc_stat_misses.attr,
	&nfsc_stat_fills_ok.attr,
	&nfsc_stat_fills_failed.attr,
	&nfsc_stat_stale.attr,
	&nfsc_stat_bytes_cache.attr,
	&nfsc_stat_bytes_lower.attr,
	&nfsc_stat_pending.attr,
	&nfsc_stat_filling.attr,
	&nfsc_stat_culled.attr,
	NULL,
};

static const struct attribute_group nfsc_stats_group = {
	.name	= "stats",
	.attrs	= nfsc_stats_attrs,
};

static const struct attribute_group *nfsc_mount_groups[] = {
	&nfsc_mount_group,
	&nfsc_stats_group,
	NULL,
};

static void nfsc_mount_release(struct kobject *kobj)
{
	struct nfsc_sb_info *sbi = container_of(kobj, struct nfsc_sb_info, kobj);

	complete(&sbi->kobj_gone);
}

static const struct kobj_type nfsc_mount_ktype = {
	.sysfs_ops	= &nfsc_sysfs_ops,
	.default_groups	= nfsc_mount_groups,
	.release	= nfsc_mount_release,
};

int nfsc_sysfs_add(struct nfsc_sb_info *sbi)
{
	int id, err;

	mutex_lock(&nfsc_mounts_lock);
	id = ida_alloc_range(&nfsc_mount_ida, nfsc_next_mount_id, INT_MAX,
			     GFP_KERNEL);
	if (id == -ENOSPC)
		id = ida_alloc_min(&nfsc_mount_ida, 1, GFP_KERNEL);
	if (id > 0)
		nfsc_next_mount_id = id < INT_MAX ? id + 1 : 1;
	mutex_unlock(&nfsc_mounts_lock);
	if (id < 0)
		return id;
	sbi->id = id;
	init_completion(&sbi->kobj_gone);
	sbi->kobj.kset = nfsc_kset;
	err = kobject_init_and_add(&sbi->kobj, &nfsc_mount_ktype, NULL, "%d", id);
	if (err) {
		kobject_put(&sbi->kobj);
		wait_for_completion(&sbi->kobj_gone);
		ida_free(&nfsc_mount_ida, id);
		sbi->id = 0;
		return err;
	}
	mutex_lock(&nfsc_mounts_lock);
	list_add_tail(&sbi->mount_node, &nfsc_mounts);
	mutex_unlock(&nfsc_mounts_lock);
	return 0;
}

void nfsc_sysfs_del(struct nfsc_sb_info *sbi)
{
	if (!sbi->id)
		return;
	mutex_lock(&nfsc_mounts_lock);
	list_del(&sbi->mount_node);
	mutex_unlock(&nfsc_mounts_lock);
	kobject_del(&sbi->kobj);
	kobject_put(&sbi->kobj);
	/* sbi is freed next: wait for the last sysfs reader. */
	wait_for_completion(&sbi->kobj_gone);
	ida_free(&nfsc_mount_ida, sbi->id);
	sbi->id = 0;
}

int __init nfsc_sysfs_init(void)
{
	nfsc_kset = kset_create_and_add(NFS_CACHEFS_FS_NAME, NULL, fs_kobj);
	return nfsc_kset ? 0 : -ENOMEM;
}

void nfsc_sysfs_exit(void)
{
	kset_unregister(nfsc_kset);
	ida_destroy(&nfsc_mount_ida);
}
