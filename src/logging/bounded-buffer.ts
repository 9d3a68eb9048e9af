/**
 * A FIFO with a fixed capacity that drops its oldest items rather than grow, so a
 * CloudWatch outage costs old log lines, never the process's memory. Dropping is O(1):
 * the head index moves and the array is compacted only once half of it is dead.
 */
export class BoundedBuffer<T> {
	#items: T[] = [];
	#head = 0;
	#dropped = 0;

	constructor(readonly capacity: number) {}

	get size(): number {
		return this.#items.length - this.#head;
	}

	/** How many items have been dropped to keep within the capacity, ever. */
	get dropped(): number {
		return this.#dropped;
	}

	push(item: T): void {
		this.#items.push(item);
		if (this.size > this.capacity) this.#dropOldest(1);
	}

	takeAll(): T[] {
		const all = this.#head === 0 ? this.#items : this.#items.slice(this.#head);
		this.#items = [];
		this.#head = 0;
		return all;
	}

	/** Puts items taken earlier back in front of the newer ones, still within the capacity. */
	restore(older: T[]): void {
		this.#items = older.concat(this.takeAll());
		const excess = this.size - this.capacity;
		if (excess > 0) this.#dropOldest(excess);
	}

	#dropOldest(count: number): void {
		this.#head += count;
		this.#dropped += count;
		if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
			this.#items = this.#items.slice(this.#head);
			this.#head = 0;
		}
	}
}
